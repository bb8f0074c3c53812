// Hostile functions on the real runtime: each one's run fails with a clear recorded reason (timeout, memory,
// permission denied, process exited) while a well-behaved function deployed next to it keeps answering, and
// the hostile one answers again on its next run (a fresh process). Nothing here may leave the machine: network
// attempts target addresses the sandbox's permissions refuse before any packet is sent.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RuntimeRunResult } from '@selfdb/common';
import { denoPids, sleep, startRuntime, type TestRuntime } from './helpers.ts';

const RUNTIME_SOURCE = resolve('functions/src/config.ts');
const HARNESS = resolve('functions/harness/harness.js');

/** A function that returns what the attempt threw (err.message), or 'ALLOWED' if it went through. */
const attempt = (body: string) => `export default async function (request, context) {
  try { ${body}; return 'ALLOWED'; } catch (err) { return String(err && err.message || err); }
}`;

/** Runs `body` only if the sandbox denies `host` (so a broken sandbox never sends a packet there). */
const guarded = (host: string, body: string) =>
  `if ((await Deno.permissions.query({ name: 'net', host: '${host}' })).state !== 'denied') throw new Error('NOT DENIED');
  ${body}`;

describe('hostile functions fail clearly, others keep answering', () => {
  let rt: TestRuntime;

  before(async () => {
    rt = await startRuntime({ memoryMb: 64 });
    const ok = await rt.deploy('wellbehaved', 'export default async function () { return "still here"; }');
    assert.equal(ok.status, 200);
  });
  after(() => rt?.close());

  async function assertHealthy() {
    const run = await rt.run('wellbehaved');
    assert.equal(run.json.status, 'completed');
    assert.equal(run.json.result, 'still here');
  }

  /** Runs `name` while the well-behaved function is run too; returns the hostile run's result. */
  async function runBeside(
    name: string,
    run: Parameters<TestRuntime['run']>[1] = {},
  ): Promise<RuntimeRunResult> {
    const hostile = rt.run(name, run);
    await sleep(200);
    await assertHealthy();
    const result = (await hostile).json;
    await assertHealthy();
    return result;
  }

  test('a synchronous infinite loop times out; the next run gets a fresh process', async () => {
    const deployed = await rt.deploy(
      'spinner',
      `export default async function (request) {
        const { spin } = await request.json();
        if (spin) while (true) {}
        return 'recovered';
      }`,
      { timeoutSeconds: 2 },
    );
    assert.equal(deployed.status, 200);
    const result = await runBeside('spinner', { triggerType: 'event', payload: { spin: true } });
    assert.equal(result.status, 'timeout');
    assert.equal(result.error, 'timed out after 2s');
    const next = await rt.run('spinner', { triggerType: 'event', payload: { spin: false } });
    assert.equal(next.json.status, 'completed');
    assert.equal(next.json.result, 'recovered');
  });

  test('a timer left spinning after the run answered: the process is stopped, the next run is not blamed', async () => {
    await rt.deploy(
      'leftover',
      `export default async function (request) {
        const { spin } = await request.json();
        if (spin) setTimeout(() => { while (true) {} }, 10);
        return 'answered';
      }`,
      { timeoutSeconds: 3 },
    );
    const first = await rt.run('leftover', { triggerType: 'event', payload: { spin: true } });
    assert.equal(first.json.status, 'completed');
    assert.equal(first.json.result, 'answered');
    assert.equal(denoPids('/scratch/leftover').length, 1);
    for (let i = 0; i < 300 && denoPids('/scratch/leftover').length > 0; i++) await sleep(100);
    assert.deepEqual(denoPids('/scratch/leftover'), [], 'the spinning process was stopped');
    const next = await rt.run('leftover', { triggerType: 'event', payload: { spin: false } });
    assert.equal(next.json.status, 'completed');
    assert.equal(next.json.result, 'answered');
    await assertHealthy();
  });

  test('a promise that never resolves times out, keeping the logs written before', async () => {
    await rt.deploy(
      'waiter',
      `export default async function () { console.log('waiting forever'); await new Promise(() => {}); }`,
      { timeoutSeconds: 1 },
    );
    const result = await runBeside('waiter');
    assert.equal(result.status, 'timeout');
    assert.equal(result.error, 'timed out after 1s');
    assert.deepEqual(
      result.logs.map((l) => l.message),
      ['waiting forever'],
    );
  });

  test('a heap memory bomb fails with "memory limit exceeded"', async () => {
    await rt.deploy(
      'heapbomb',
      `export default async function () { const a = []; while (true) a.push({ s: 'x'.repeat(64) + Math.random() }); }`,
      { timeoutSeconds: 60 },
    );
    const result = await runBeside('heapbomb');
    assert.equal(result.status, 'failed');
    assert.match(String(result.error), /^memory limit exceeded/);
  });

  test('an off-heap (ArrayBuffer) memory bomb is caught by the resident-memory watchdog', async () => {
    await rt.deploy(
      'bufferbomb',
      `export default async function () {
        const keep = [];
        for (let i = 0; i < 400; i++) { const b = new Uint8Array(16 * 1024 * 1024); b.fill(1); keep.push(b);
          await new Promise((r) => setTimeout(r, 5)); }
        return keep.length;
      }`,
      { timeoutSeconds: 60 },
    );
    const result = await runBeside('bufferbomb');
    assert.equal(result.status, 'failed');
    assert.match(String(result.error), /^memory limit exceeded/);
  });

  test('files outside the scratch dir cannot be read or written; inside it they can', async () => {
    const cases: [string, string][] = [
      ['passwd', `await Deno.readTextFile('/etc/passwd')`],
      ['source', `await Deno.readTextFile(${JSON.stringify(RUNTIME_SOURCE)})`],
      ['harness', `await Deno.readTextFile(${JSON.stringify(HARNESS)})`],
      ['nodefs', `(await import('node:fs')).readFileSync('/etc/hostname')`],
      ['procenv', `await Deno.readTextFile('/proc/self/environ')`],
      ['parentdir', `await Deno.readDir('..')[Symbol.asyncIterator]().next()`],
      ['writetmp', `await Deno.writeTextFile(${JSON.stringify(join(tmpdir(), 'selfdb-escaped.txt'))}, 'x')`],
      ['writeparent', `await Deno.writeTextFile('../escaped.txt', 'x')`],
      ['symlink', `await Deno.symlink('/etc/passwd', 'link'); await Deno.readTextFile('link')`],
      ['chdir', `Deno.chdir('/')`],
    ];
    for (const [name, body] of cases) {
      await rt.deploy(`fs-${name}`, attempt(body));
      const result = await rt.run(`fs-${name}`);
      assert.equal(result.json.status, 'completed', name);
      assert.match(
        String(result.json.result),
        /Requires (read|write) access|requires unscoped --allow-read/,
        `${name}: ${result.json.result}`,
      );
    }
    assert.equal(existsSync(join(tmpdir(), 'selfdb-escaped.txt')), false);
    await rt.deploy(
      'fs-scratch',
      `export default async function () {
        await Deno.mkdir('sub', { recursive: true });
        await Deno.writeTextFile('sub/a.txt', 'mine');
        return await Deno.readTextFile('sub/a.txt');
      }`,
    );
    assert.equal((await rt.run('fs-scratch')).json.result, 'mine');
    // Another function's scratch dir is as far out of reach as the rest of the disk.
    await rt.deploy('fs-neighbour', attempt(`await Deno.readTextFile('../fs-scratch/sub/a.txt')`));
    assert.match(String((await rt.run('fs-neighbour')).json.result), /Requires read access/);
    await assertHealthy();
  });

  test('a thrown permission error is recorded as "Permission denied", without Deno’s --allow hint', async () => {
    await rt.deploy(
      'passwd',
      `export default async function () { return await Deno.readTextFile('/etc/passwd'); }`,
    );
    const result = await rt.run('passwd');
    assert.equal(result.json.status, 'failed');
    assert.match(String(result.json.error), /^Permission denied: Requires read access to "\/etc\/passwd"/);
    assert.doesNotMatch(String(result.json.error), /--allow/);
    assert.doesNotMatch(JSON.stringify(result.json), /root:x:0/);
  });

  test('no environment, subprocess, FFI or system information', async () => {
    process.env.SELFDB_FUNCTIONS_TEST_SECRET = 'must-not-leak';
    const cases: [string, string, RegExp][] = [
      ['envget', `Deno.env.get('SECRET_KEY')`, /Requires env access/],
      ['envobject', `Deno.env.toObject()`, /Requires env access/],
      [
        'processenv',
        `JSON.stringify((await import('node:process')).default.env)`,
        /Requires env access|NotCapable/,
      ],
      ['command', `await new Deno.Command('/usr/bin/id').output()`, /Requires run access/],
      ['shell', `await new Deno.Command('/bin/sh', { args: ['-c', 'id'] }).output()`, /Requires run access/],
      [
        'childprocess',
        `(await import('node:child_process')).execSync('/usr/bin/id')`,
        /Requires (run|env) access/,
      ],
      ['dlopen', `Deno.dlopen('libc.so.6', {})`, /Requires ffi access/],
      ['hostname', `Deno.hostname()`, /Requires sys access/],
      ['kill', `Deno.kill(1, 'SIGKILL')`, /Requires run access/],
    ];
    for (const [name, body, expected] of cases) {
      await rt.deploy(`sys-${name}`, attempt(body));
      const result = await rt.run(`sys-${name}`);
      assert.match(String(result.json.result), expected, `${name}: ${result.json.result}`);
      assert.doesNotMatch(JSON.stringify(result.json), /must-not-leak|FUNCTIONS_SERVICE_KEY/);
    }
    delete process.env.SELFDB_FUNCTIONS_TEST_SECRET;
  });

  test('no socket to local services (Postgres, the runtime itself) nor cloud metadata; refused before sending', async () => {
    const pgPort = Number(process.env.SELFDB_TEST_PG_PORT ?? 0);
    // A listener of our own stands in for a local service when no test Postgres runs.
    const local = createServer((socket) => socket.end('hello from a local service'));
    local.listen(0, '127.0.0.1');
    await once(local, 'listening');
    const localPort = (local.address() as { port: number }).port;
    const runtimePort = Number(new URL(rt.url).port);
    // A Unix socket too (the kind Docker's and Postgres's local sockets are).
    const socketDir = mkdtempSync(join(tmpdir(), 'selfdb-fn-sock-'));
    const socketPath = join(socketDir, 'service.sock');
    const unix = createServer((socket) => socket.end('hello over a unix socket'));
    unix.listen(socketPath);
    await once(unix, 'listening');
    try {
      const targets: [string, string][] = [
        ['pg', `await Deno.connect({ hostname: '127.0.0.1', port: ${pgPort || localPort} })`],
        ['local', `await Deno.connect({ hostname: 'localhost', port: ${localPort} })`],
        ['runtime', `await fetch('http://127.0.0.1:${runtimePort}/health')`],
        ['shortloop', `await fetch('http://127.1:${localPort}/')`],
        ['anyaddr', `await fetch('http://0.0.0.0:${localPort}/')`],
        ['ipv6', `await fetch('http://[::1]:${localPort}/')`],
        ['mapped', `await fetch('http://[::ffff:127.0.0.1]:${localPort}/')`],
        // Guarded: were the permission ever granted, the function says so instead of sending anything.
        ['metadata', guarded('169.254.169.254', `await fetch('http://169.254.169.254/latest/meta-data/')`)],
        ['private', guarded('10.0.0.1', `await fetch('http://10.0.0.1/')`)],
        ['compose', guarded('172.18.0.2', `await Deno.connect({ hostname: '172.18.0.2', port: 5432 })`)],
        ['listen', `Deno.listen({ port: 0 })`],
        [
          'proxy',
          `await fetch('http://example.invalid/', { client: Deno.createHttpClient({ proxy: { url: 'http://127.0.0.1:${localPort}' } }) })`,
        ],
        [
          'websocket',
          `await new Promise((resolve, reject) => { const ws = new WebSocket('ws://127.0.0.1:${localPort}/'); ws.onopen = resolve; ws.onerror = (e) => reject(new Error(e.message)); })`,
        ],
        ['unix', `await Deno.connect({ transport: 'unix', path: ${JSON.stringify(socketPath)} })`],
        ['fileurl', `await fetch('file:///etc/passwd')`],
      ];
      for (const [name, body] of targets) {
        await rt.deploy(`net-${name}`, attempt(body));
        const started = Date.now();
        const result = await rt.run(`net-${name}`);
        assert.equal(result.json.status, 'completed', name);
        assert.match(
          String(result.json.result),
          name === 'unix' || name === 'fileurl' ? /Requires read access/ : /Requires net access/,
          `${name}: ${result.json.result}`,
        );
        assert.ok(Date.now() - started < 5000, `${name} was refused at once, not after a connection attempt`);
      }
    } finally {
      local.close();
      unix.close();
      rmSync(socketDir, { recursive: true, force: true });
    }
  });

  test('importing a local file by path is refused, dynamically at run time and statically at deploy', async () => {
    await rt.deploy('import-dynamic', attempt(`await import(${JSON.stringify(`file://${RUNTIME_SOURCE}`)})`));
    assert.match(String((await rt.run('import-dynamic')).json.result), /Requires read access/);
    await rt.deploy('import-passwd', attempt(`await import('/etc/passwd', { with: { type: 'text' } })`));
    assert.match(
      String((await rt.run('import-passwd')).json.result),
      /Requires read access|not supported|Unsupported|Invalid/,
    );
    const stat = await rt.deploy(
      'import-static',
      `import config from ${JSON.stringify(resolve('package.json'))} with { type: 'json' };\nexport default () => config;`,
    );
    assert.equal(stat.status, 422);
    assert.equal(stat.json.code, 'FUNCTION_INVALID');
    assert.match(String(stat.json.detail), /Requires read access/);
    const remote = await rt.deploy(
      'import-remote',
      `import x from 'https://deno.land/x/nothing/mod.ts';\nexport default () => x;`,
    );
    assert.equal(remote.status, 422, 'remote imports are off unless FUNCTIONS_ALLOW_IMPORT names hosts');
  });

  test('killing the function’s process mid-run fails that run clearly; the next run works', async () => {
    await rt.deploy(
      'victim',
      `export default async function (request) {
        const { wait } = await request.json();
        if (wait) await new Promise((r) => setTimeout(r, 30_000));
        return 'alive';
      }`,
      { timeoutSeconds: 60 },
    );
    assert.equal(
      (await rt.run('victim', { triggerType: 'event', payload: { wait: false } })).json.result,
      'alive',
    );
    const pids = denoPids('/scratch/victim');
    assert.equal(pids.length, 1);
    const pending = rt.run('victim', { triggerType: 'event', payload: { wait: true } });
    await sleep(300);
    process.kill(pids[0]!, 'SIGKILL');
    const killed = (await pending).json;
    assert.equal(killed.status, 'failed');
    assert.match(String(killed.error), /^runtime process exited \(signal SIGKILL\)/);
    const next = await rt.run('victim', { triggerType: 'event', payload: { wait: false } });
    assert.equal(next.json.status, 'completed');
    assert.equal(next.json.result, 'alive');
    assert.notDeepEqual(denoPids('/scratch/victim'), pids);
    await assertHealthy();
  });

  test('Deno.exit, process.exit and an unhandled rejection do not take other runs down', async () => {
    await rt.deploy(
      'exiter',
      `import process from 'node:process';
      export default async function (request) {
        const { how } = await request.json();
        if (how === 'reject') { Promise.reject(new Error('nobody catches me')); await new Promise((r) => setTimeout(r, 50)); return 'survived'; }
        if (how === 'wait') { await new Promise((r) => setTimeout(r, 1000)); return 'waited'; }
        if (how === 'process') process.exit(1);
        Deno.exit(3);
      }`,
    );
    const rejected = await rt.run('exiter', { triggerType: 'event', payload: { how: 'reject' } });
    assert.equal(rejected.json.status, 'completed');
    assert.equal(rejected.json.result, 'survived');
    assert.ok(rejected.json.logs.some((l) => l.level === 'error' && /nobody catches me/.test(l.message)));
    const waiting = rt.run('exiter', { triggerType: 'event', payload: { how: 'wait' } });
    await sleep(100);
    const exited = await rt.run('exiter', { triggerType: 'event', payload: { how: 'exit' } });
    assert.equal(exited.json.status, 'failed');
    assert.match(String(exited.json.error), /Deno\.exit\(\) is not available in a function/);
    const processExit = await rt.run('exiter', { triggerType: 'event', payload: { how: 'process' } });
    assert.match(String(processExit.json.error), /process\.exit\(\) is not available/);
    assert.equal((await waiting).json.result, 'waited', 'the other run in the same process finished');
    await assertHealthy();
  });

  test('output limits: log lines are capped and counted, an oversized body fails the run', async () => {
    await rt.deploy(
      'flood',
      `export default async function () {
        for (let i = 0; i < 5000; i++) console.log('line', i);
        console.log('x'.repeat(100_000));
        return 'flooded';
      }`,
    );
    const flood = await rt.run('flood');
    assert.equal(flood.json.status, 'completed');
    assert.equal(flood.json.logs.length, 1001);
    assert.match(flood.json.logs.at(-1)!.message, /4001 more log lines dropped/);
    await rt.deploy(
      'bigbody',
      `export default async function () { return new Response(new Uint8Array(7 * 1024 * 1024)); }`,
    );
    const big = await rt.run('bigbody');
    assert.equal(big.json.status, 'failed');
    assert.match(String(big.json.error), /exceeds the \d+ byte limit/);
    await assertHealthy();
  });

  test('many concurrent runs across functions all answer', async () => {
    await rt.deploy('echo-a', 'export default async (r) => ({ a: (await r.json()).i })');
    await rt.deploy('echo-b', 'export default async (r) => ({ b: (await r.json()).i })');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        rt.run(i % 2 ? 'echo-a' : 'echo-b', { triggerType: 'event', payload: { i } }),
      ),
    );
    results.forEach((run, i) => {
      assert.equal(run.json.status, 'completed');
      assert.deepEqual(run.json.result, i % 2 ? { a: i } : { b: i });
    });
  });

  test('filling the disk: past FUNCTIONS_SCRATCH_MB the run fails and the scratch dir is emptied', async () => {
    const small = await startRuntime({ env: { FUNCTIONS_SCRATCH_MB: '5' } });
    try {
      await small.deploy(
        'filler',
        `export default async function (request) {
          const { fill } = await request.json();
          if (!fill) { let n = 0; for await (const _ of Deno.readDir('.')) n++; return n; }
          for (let i = 0; ; i++) {
            await Deno.writeFile('chunk-' + i, new Uint8Array(1024 * 1024).fill(1));
            await new Promise((r) => setTimeout(r, 20));
          }
        }`,
        { timeoutSeconds: 60 },
      );
      const filled = await small.run('filler', { triggerType: 'event', payload: { fill: true } });
      assert.equal(filled.json.status, 'failed');
      assert.equal(filled.json.error, 'scratch dir limit exceeded (5 MB)');
      const after = await small.run('filler', { triggerType: 'event', payload: { fill: false } });
      assert.equal(after.json.status, 'completed');
      assert.equal(after.json.result, 0, 'the scratch dir was emptied');
    } finally {
      await small.close();
    }
  });
});
