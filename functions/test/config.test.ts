// The functions runtime's configuration: defaults, the service key (derived or explicit, also from a _FILE), the
// network policy variables, and clear errors for bad values; plus the Deno command line it leads to.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, functionsServiceKey } from '@selfdb/common';
import { DEFAULT_DENY_NET, loadFunctionsConfig } from '../src/config.ts';
import { denoArgs, denoEnv } from '../src/sandbox/deno.ts';

const SECRET = 's'.repeat(40);

test('defaults: loopback on 8090, key derived from SECRET_KEY, 128 MB, public network without private ranges', () => {
  const config = loadFunctionsConfig({ SECRET_KEY: SECRET });
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8090);
  assert.equal(config.serviceKey, functionsServiceKey(SECRET));
  assert.equal(config.backendUrl, 'http://127.0.0.1:8000');
  assert.equal(config.memoryMb, 128);
  assert.deepEqual(config.allowNet, ['*']);
  assert.deepEqual(config.denyNet, DEFAULT_DENY_NET);
  assert.deepEqual(config.allowImport, []);
  assert.equal(config.limits.maxBodyBytes, 6 * 1024 * 1024);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits));
  for (const range of [
    '127.0.0.0/8',
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '169.254.0.0/16',
    '[::1]',
  ]) {
    assert.ok(DEFAULT_DENY_NET.includes(range), range);
  }
});

test('FUNCTIONS_SERVICE_KEY (also as _FILE) wins; a short one or none at all is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fn-cfg-'));
  try {
    const key = 'k'.repeat(48);
    writeFileSync(join(dir, 'key'), `${key}\n`);
    assert.equal(loadFunctionsConfig({ FUNCTIONS_SERVICE_KEY_FILE: join(dir, 'key') }).serviceKey, key);
    assert.throws(() => loadFunctionsConfig({ FUNCTIONS_SERVICE_KEY: 'short' }), /at least 32/);
    assert.throws(
      () => loadFunctionsConfig({}),
      (err: Error) => err instanceof ConfigError && /SECRET_KEY/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('network variables: a host list, none, and bad values named in the error', () => {
  const listed = loadFunctionsConfig({
    SECRET_KEY: SECRET,
    FUNCTIONS_ALLOW_NET: 'api.example.com,example.org:443',
  });
  assert.deepEqual(listed.allowNet, ['api.example.com', 'example.org:443']);
  assert.deepEqual(loadFunctionsConfig({ SECRET_KEY: SECRET, FUNCTIONS_ALLOW_NET: 'none' }).allowNet, []);
  assert.throws(
    () => loadFunctionsConfig({ SECRET_KEY: SECRET, FUNCTIONS_ALLOW_NET: '*,example.com' }),
    /cannot be combined/,
  );
  assert.throws(
    () => loadFunctionsConfig({ SECRET_KEY: SECRET, FUNCTIONS_DENY_NET: 'a b' }),
    /FUNCTIONS_DENY_NET/,
  );
  assert.throws(
    () => loadFunctionsConfig({ SECRET_KEY: SECRET, FUNCTIONS_MEMORY_MB: '8' }),
    /FUNCTIONS_MEMORY_MB must be >= 16/,
  );
  assert.throws(() => loadFunctionsConfig({ SECRET_KEY: SECRET, BACKEND_URL: 'ftp://x' }), /BACKEND_URL/);
});

test('the Deno command line: scoped file access, no env/run/ffi/sys, denied ranges, heap cap; an empty environment', () => {
  const config = loadFunctionsConfig({ SECRET_KEY: SECRET, FUNCTIONS_MEMORY_MB: '64' });
  const args = denoArgs(config, {
    scratchDir: '/data/scratch/f',
    modulePath: '/data/code/f/v1.ts',
    denoDir: '/data/deno',
  });
  assert.equal(args[0], 'run');
  for (const flag of [
    '--no-prompt',
    '--no-config',
    '--no-lock',
    '--deny-env',
    '--deny-run',
    '--deny-ffi',
    '--deny-sys',
  ]) {
    assert.ok(args.includes(flag), flag);
  }
  assert.ok(args.includes('--allow-read=/data/scratch/f,/data/code/f/v1.ts'));
  assert.ok(args.includes('--allow-write=/data/scratch/f'));
  assert.ok(args.includes('--v8-flags=--max-old-space-size=64'));
  assert.ok(args.includes('--allow-net'));
  assert.ok(args.includes(`--deny-net=${DEFAULT_DENY_NET.join(',')}`));
  assert.ok(args.includes('--no-remote') && args.includes('--no-npm'));
  assert.ok(!args.some((a) => a.startsWith('--allow-env') || a.startsWith('--allow-run') || a === '-A'));
  const none = denoArgs(
    { ...config, allowNet: [] },
    { scratchDir: '/s', modulePath: '/m.ts', denoDir: '/d' },
  );
  assert.ok(none.includes('--deny-net') && !none.some((a) => a.startsWith('--allow-net')));
  assert.deepEqual(Object.keys(denoEnv('/d')).sort(), [
    'DENO_DIR',
    'DENO_NO_PACKAGE_JSON',
    'DENO_NO_UPDATE_CHECK',
    'NO_COLOR',
  ]);
});
