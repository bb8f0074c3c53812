// The functions runtime as a process (src/server.ts, as ./selfdb.sh and the image run it): it stops on SIGTERM
// with every sandbox, leaves no sandbox behind when it is killed outright, and a new start holds no function
// (a new boot_id, the old boot's files removed), so the backend knows to push the code again.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../../scripts/lib/processes.ts';
import { denoPids, KEY, sleep } from './helpers.ts';

describe('the runtime process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'selfdb-functions-service-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(port: number) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'functions/src/server.ts'], {
      env: {
        PATH: process.env.PATH,
        FUNCTIONS_SERVICE_KEY: KEY,
        FUNCTIONS_INTERNAL_PORT: String(port),
        FUNCTIONS_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const health = await fetch(`${url}/health`).catch(() => null);
      if (health?.ok)
        return { child, url, health: (await health.json()) as { boot_id: string; functions: number } };
      if (child.exitCode !== null || Date.now() > deadline) throw new Error('the runtime did not start');
      await sleep(200);
    }
  }

  const call = (url: string, method: string, path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { 'x-functions-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  test('killed outright, it leaves no sandbox running; the next start holds nothing and cleans up', async () => {
    const port = await freePort();
    const first = await start(port);
    const deployed = await call(first.url, 'PUT', '/functions/ticker', {
      version: 1,
      code: 'setInterval(() => {}, 50);\nexport default () => "tick";',
      env: {},
      timeoutSeconds: 5,
    });
    assert.equal(deployed.status, 200);
    assert.equal(denoPids('/scratch/ticker').length, 1);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    for (let i = 0; i < 100 && denoPids('/scratch/ticker').length > 0; i++) await sleep(100);
    assert.deepEqual(denoPids('/scratch/ticker'), [], 'the sandbox followed its service');

    const second = await start(port);
    assert.notEqual(second.health.boot_id, first.health.boot_id);
    assert.equal(second.health.functions, 0);
    const run = await call(second.url, 'POST', '/functions/ticker/run', {
      version: 1,
      executionId: 'e1',
      triggerType: 'manual',
    });
    assert.equal(run.status, 404);
    assert.equal(((await run.json()) as { code: string }).code, 'FUNCTION_NOT_DEPLOYED');
    assert.deepEqual(
      readdirSync(dataDir).filter((name) => name.startsWith('boot-')),
      [`boot-${second.health.boot_id}`],
      'the dead boot’s files are gone',
    );

    // SIGTERM: a graceful stop, with its sandboxes and its files.
    await call(second.url, 'PUT', '/functions/ticker', {
      version: 1,
      code: 'setInterval(() => {}, 50);\nexport default () => "tick";',
      env: {},
      timeoutSeconds: 5,
    });
    assert.equal(denoPids('/scratch/ticker').length, 1);
    second.child.kill('SIGTERM');
    const [code] = (await once(second.child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.deepEqual(denoPids('/scratch/ticker'), []);
    assert.equal(existsSync(join(dataDir, `boot-${second.health.boot_id}`)), false);
  });
});
