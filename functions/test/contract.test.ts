// SelfDB 0.0.5's module contract on the functions runtime, through its real HTTP API and real Deno processes:
// `export default async function (request, context)`, Response and plain returns, context.env (the function's
// env_vars only), context.callBackend (performed by the service against a real HTTP server), console levels,
// context.emit, the declared triggers; and the deploy rules (invalid code → 422 naming the line, nothing replaced).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { bodyText, denoPids, KEY, sleep, startRuntime, type TestRuntime } from './helpers.ts';

const API_KEY = 'backend-api-key-for-functions-tests';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('the 0.0.5 module contract', () => {
  let rt: TestRuntime;
  const seen: Seen[] = [];
  const backend = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json', 'x-backend': 'yes' });
      res.end(JSON.stringify({ got: req.url, method: req.method }));
    });
  });

  before(async () => {
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const port = (backend.address() as AddressInfo).port;
    rt = await startRuntime({ backendUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY });
  });
  after(async () => {
    await rt?.close();
    backend.close();
  });

  test('a returned Response is the HTTP response: status, headers and body', async () => {
    const deployed = await rt.deploy(
      'respond',
      `export default async function (request, context) {
        const url = new URL(request.url);
        const body = await request.text();
        return new Response(JSON.stringify({ method: request.method, path: url.pathname, q: url.searchParams.get('q'),
          body, ct: request.headers.get('content-type'), trigger: context.triggerType, user: context.user }), {
          status: 201, headers: { 'content-type': 'application/json', 'x-made-by': 'function' } });
      }`,
    );
    assert.equal(deployed.status, 200);
    assert.deepEqual(deployed.json, {
      name: 'respond',
      version: 1,
      triggers: [{ type: 'http' }],
      description: null,
      runOnce: false,
    });
    const user = { id: '5b0c5f52-1111-4a3e-9a47-1d2f0c1f9a10', email: 'u@example.com', role: 'USER' };
    const run = await rt.run('respond', {
      triggerType: 'http',
      request: {
        method: 'PUT',
        path: '/items/7?q=search',
        headers: { 'content-type': 'text/plain' },
        bodyBase64: Buffer.from('hello body').toString('base64'),
      },
      user,
    });
    assert.equal(run.status, 200);
    assert.equal(run.json.status, 'completed', run.json.error ?? '');
    assert.equal(run.json.error, null);
    assert.equal(run.json.response?.status, 201);
    assert.equal(run.json.response?.headers['x-made-by'], 'function');
    assert.equal(run.json.result, null);
    assert.deepEqual(JSON.parse(bodyText(run.json)), {
      method: 'PUT',
      path: '/items/7',
      q: 'search',
      body: 'hello body',
      ct: 'text/plain',
      trigger: 'http',
      user,
    });
    assert.ok(run.json.durationMs >= 0);
  });

  test('a returned plain value is JSON 200 and the recorded result; other triggers get a POST of the payload', async () => {
    await rt.deploy(
      'plain',
      `export default async function (request, context) {
        return { method: request.method, type: request.headers.get('x-trigger-type'),
          execution: request.headers.get('x-execution-id'), delivery: request.headers.get('x-delivery-id'),
          payload: await request.json(), executionId: context.executionId, user: context.user };
      }`,
    );
    const run = await rt.run('plain', {
      executionId: 'exec-plain-1',
      triggerType: 'webhook',
      payload: { order: 42, items: ['a', 'b'] },
      deliveryId: 'delivery-9',
    });
    assert.equal(run.json.status, 'completed', run.json.error ?? '');
    const expected = {
      method: 'POST',
      type: 'webhook',
      execution: 'exec-plain-1',
      delivery: 'delivery-9',
      payload: { order: 42, items: ['a', 'b'] },
      executionId: 'exec-plain-1',
      user: null,
    };
    assert.deepEqual(run.json.result, expected);
    assert.equal(run.json.response?.status, 200);
    assert.equal(run.json.response?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(bodyText(run.json)), expected);

    const nothing = await rt.deploy('nothing', 'export default async function () {}');
    assert.equal(nothing.status, 200);
    const empty = await rt.run('nothing');
    assert.equal(empty.json.status, 'completed');
    assert.equal(empty.json.result, null);
  });

  test('context.env holds only the function’s env_vars, frozen', async () => {
    await rt.deploy(
      'env',
      `export default async function (request, context) {
        let frozen = false;
        try { context.env.EXTRA = 'x'; } catch { frozen = true; }
        return { env: context.env, frozen: frozen || context.env.EXTRA === undefined };
      }`,
      { env: { GREETING: 'hello', TOKEN: 's3cret' } },
    );
    const run = await rt.run('env');
    assert.deepEqual(run.json.result, { env: { GREETING: 'hello', TOKEN: 's3cret' }, frozen: true });
  });

  test('context.callBackend reaches BACKEND_URL through the service, with x-api-key, x-execution-id, x-delivery-id', async () => {
    await rt.deploy(
      'caller',
      `export default async function (request, context) {
        const res = await context.callBackend('/tables/abc/data?page=2', {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'forged', host: 'evil' },
          body: JSON.stringify({ title: 'from a function' }) });
        const redirected = await context.callBackend('/redirect');
        let refused = null;
        try { await context.callBackend('http://169.254.169.254/latest'); } catch (err) { refused = err.message; }
        return { status: res.status, header: res.headers.get('x-backend'), body: await res.json(),
          redirect: redirected.status, refused };
      }`,
    );
    seen.length = 0;
    const run = await rt.run('caller', {
      executionId: 'exec-cb',
      triggerType: 'webhook',
      deliveryId: 'del-cb',
    });
    assert.equal(run.json.status, 'completed', run.json.error ?? '');
    const result = run.json.result as Record<string, unknown>;
    assert.equal(result.status, 201);
    assert.equal(result.header, 'yes');
    assert.deepEqual(result.body, { got: '/tables/abc/data?page=2', method: 'POST' });
    assert.equal(result.redirect, 302, 'redirects are not followed');
    assert.match(String(result.refused), /absolute path on the backend/);
    const call = seen.find((s) => s.url === '/tables/abc/data?page=2');
    assert.ok(call);
    assert.equal(call.method, 'POST');
    assert.equal(
      call.headers['x-api-key'],
      API_KEY,
      'the service sets the API key, the function cannot forge it',
    );
    assert.equal(call.headers['x-execution-id'], 'exec-cb');
    assert.equal(call.headers['x-delivery-id'], 'del-cb');
    assert.notEqual(call.headers.host, 'evil');
    assert.deepEqual(JSON.parse(call.body), { title: 'from a function' });
    assert.equal(seen.length, 2, 'the redirect was not followed, the absolute URL never sent');
  });

  test('console output is recorded with levels, including 0.0.5’s [ERROR] / [WARN] prefixes', async () => {
    await rt.deploy(
      'logger',
      `export default async function () {
        console.log('plain', { n: 1 });
        console.info('info line');
        console.warn('warn line');
        console.error('error line');
        console.debug('debug line');
        console.log('[ERROR] prefixed error');
        console.log('[WARN] prefixed warn');
        await new Promise((r) => setTimeout(r, 10));
        console.log('after a timer');
        return 'ok';
      }`,
    );
    const run = await rt.run('logger');
    assert.equal(run.json.status, 'completed');
    assert.deepEqual(
      run.json.logs.map((l) => [l.level, l.message]),
      [
        ['info', 'plain { n: 1 }'],
        ['info', 'info line'],
        ['warn', 'warn line'],
        ['error', 'error line'],
        ['debug', 'debug line'],
        ['error', '[ERROR] prefixed error'],
        ['warn', '[WARN] prefixed warn'],
        ['info', 'after a timer'],
      ],
    );
    for (const line of run.json.logs) assert.ok(!Number.isNaN(Date.parse(line.timestamp)));
  });

  test('concurrent runs of one function keep their own logs and results', async () => {
    await rt.deploy(
      'concurrent',
      `export default async function (request, context) {
        const { n } = await request.json();
        console.log('start', n);
        await new Promise((r) => setTimeout(r, 20 + (n % 3) * 15));
        console.log('end', n);
        return { n };
      }`,
    );
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, n) => rt.run('concurrent', { triggerType: 'event', payload: { n } })),
    );
    runs.forEach((run, n) => {
      assert.equal(run.json.status, 'completed');
      assert.deepEqual(run.json.result, { n });
      assert.deepEqual(
        run.json.logs.map((l) => l.message),
        [`start ${n}`, `end ${n}`],
      );
    });
  });

  test('context.emit collects events in the result; a thrown error fails the run with its message', async () => {
    await rt.deploy(
      'emitter',
      `export default async function (request, context) {
        context.emit('order.created', { id: 1 });
        context.emit('order.paid', null);
        const { fail } = await request.json();
        if (fail) throw new TypeError('the order is broken');
        return 'done';
      }`,
    );
    const ok = await rt.run('emitter', { triggerType: 'event', payload: { fail: false } });
    assert.deepEqual(ok.json.events, [
      { event: 'order.created', data: { id: 1 } },
      { event: 'order.paid', data: null },
    ]);
    const failed = await rt.run('emitter', { triggerType: 'event', payload: { fail: true } });
    assert.equal(failed.json.status, 'failed');
    assert.equal(failed.json.error, 'TypeError: the order is broken');
    assert.equal(failed.json.response, null);
  });

  test('declared triggers, description and runOnce are validated and returned', async () => {
    const deployed = await rt.deploy(
      'declared',
      `export const triggers = [
        { type: 'http', method: ['get', 'POST'] },
        { type: 'schedule', cron: '*/5 * * * *', name: 'five' },
        { type: 'database', table: 'orders', operations: ['insert', 'UPDATE'] },
        { type: 'event', event: 'order.created' },
        { type: 'webhook' },
        { type: 'once' },
      ];
      export const description = 'does everything';
      export const runOnce = true;
      export default async function () { return 1; }`,
    );
    assert.equal(deployed.status, 200);
    assert.deepEqual(deployed.json, {
      name: 'declared',
      version: 1,
      triggers: [
        { type: 'http', method: ['GET', 'POST'] },
        { type: 'schedule', cron: '*/5 * * * *', name: 'five' },
        { type: 'database', table: 'orders', operations: ['INSERT', 'UPDATE'] },
        { type: 'event', event: 'order.created' },
        { type: 'webhook' },
        { type: 'once' },
      ],
      description: 'does everything',
      runOnce: true,
    });
    for (const [code, message] of [
      ['export const triggers = [{ type: "sometimes" }];', /triggers\[0\]\.type must be one of/],
      ['export const triggers = [{ type: "schedule", cron: "every minute" }];', /five-field cron/],
      ['export const triggers = [{ type: "database", table: "x; drop table y" }];', /table name/],
      ['export const triggers = { type: "http" };', /must be an array/],
      ['export const triggers = [{ type: "http", method: "BREW" }];', /is not one of/],
    ] as const) {
      const bad = await rt.deploy('declared-bad', `${code}\nexport default async function () {}`);
      assert.equal(bad.status, 422, code);
      assert.equal(bad.json.code, 'FUNCTION_INVALID');
      assert.match(String(bad.json.detail), message);
    }
    const noDefault = await rt.deploy('declared-bad', 'export const triggers = [];');
    assert.equal(noDefault.status, 422);
    assert.match(String(noDefault.json.detail), /no default export/);
    const notFunction = await rt.deploy('declared-bad', 'export default 42;');
    assert.match(String(notFunction.json.detail), /must be a function \(it is a number\)/);
  });

  test('a syntax error is 422 naming the line, and the deployed version keeps serving', async () => {
    assert.equal(
      (await rt.deploy('keeper', 'export default async function () { return "v1"; }')).status,
      200,
    );
    const bad = await rt.deploy(
      'keeper',
      'export default async function () {\n  return "v2";\n}\nconst x = ;\n',
      {
        version: 2,
      },
    );
    assert.equal(bad.status, 422);
    assert.equal(bad.json.code, 'FUNCTION_INVALID');
    assert.match(String(bad.json.detail), /SyntaxError/);
    assert.match(String(bad.json.detail), /line 4\b/);
    assert.doesNotMatch(String(bad.json.detail), /\/tmp|file:|selfdb-functions/, 'no host paths');

    const throwsAtTop = await rt.deploy(
      'keeper',
      'throw new Error("config missing");\nexport default () => 1;',
      {
        version: 2,
      },
    );
    assert.equal(throwsAtTop.status, 422);
    assert.match(String(throwsAtTop.json.detail), /config missing/);

    const v1 = await rt.run('keeper');
    assert.equal(v1.json.result, 'v1');
    const v2 = await rt.run('keeper', { version: 2 });
    assert.equal(v2.status, 409);
    assert.equal(v2.json.code, 'FUNCTION_VERSION_MISMATCH');

    assert.equal((await rt.deploy('keeper', 'export default () => "v2";', { version: 2 })).status, 200);
    assert.equal((await rt.run('keeper', { version: 2 })).json.result, 'v2');
    assert.equal((await rt.run('keeper', { version: 1 })).status, 409);
  });

  test('a redeploy lets the runs of the version it replaces finish; new runs get the new version', async () => {
    await rt.deploy(
      'drained',
      'export default async function () { await new Promise((r) => setTimeout(r, 1500)); return "v1"; }',
    );
    const inFlight = rt.run('drained');
    await sleep(300);
    assert.equal((await rt.deploy('drained', 'export default () => "v2"', { version: 2 })).status, 200);
    assert.equal((await rt.run('drained', { version: 2 })).json.result, 'v2');
    const first = (await inFlight).json;
    assert.equal(first.status, 'completed', first.error ?? '');
    assert.equal(first.result, 'v1');
    await waitFor(() => denoPids('/scratch/drained').length === 1);
  });

  test('top-level code that never finishes is refused after a bounded wait', async () => {
    const rtShort = await startRuntime({ env: { FUNCTIONS_LOAD_TIMEOUT_SECONDS: '2' } });
    try {
      const started = Date.now();
      const hang = await rtShort.deploy('hang', 'await new Promise(() => {});\nexport default () => 1;');
      assert.equal(hang.status, 422);
      assert.equal(hang.json.code, 'FUNCTION_INVALID');
      assert.match(String(hang.json.detail), /did not finish within 2s/);
      assert.ok(Date.now() - started < 30_000);
      const spin = await rtShort.deploy('spin', 'while (true) {}\nexport default () => 1;');
      assert.equal(spin.status, 422);
      assert.equal((await rtShort.run('hang')).status, 404, 'nothing was deployed');
    } finally {
      await rtShort.close();
    }
  });

  test('undeploy stops the function; runs then answer 404 FUNCTION_NOT_DEPLOYED; health counts functions', async () => {
    const before = await rt.call<{ status: string; boot_id: string; functions: number }>(
      'GET',
      '/health',
      undefined,
      null,
    );
    assert.equal(before.status, 200);
    assert.equal(before.json.status, 'ok');
    assert.match(before.json.boot_id, /^[0-9a-f-]{36}$/);
    await rt.deploy(
      'gone',
      `export default async function () {
      await Deno.writeTextFile('note.txt', 'kept?');
      return await Deno.readTextFile('note.txt');
    }`,
    );
    assert.equal((await rt.run('gone')).json.result, 'kept?');
    const counted = await rt.call<{ functions: number }>('GET', '/health');
    assert.equal(counted.json.functions, before.json.functions + 1);
    const removed = await rt.call('DELETE', '/functions/gone');
    assert.equal(removed.status, 204);
    assert.equal((await rt.call('DELETE', '/functions/gone')).status, 204, 'idempotent');
    const run = await rt.run('gone');
    assert.equal(run.status, 404);
    assert.equal(run.json.code, 'FUNCTION_NOT_DEPLOYED');
    await rt.deploy(
      'gone',
      `export default async function () {
      try { return await Deno.readTextFile('note.txt'); } catch (err) { return err.name; }
    }`,
    );
    assert.equal((await rt.run('gone')).json.result, 'NotFound', 'the scratch dir was wiped');
  });

  test('the service key is required; bad names and bodies are 4xx with {detail, code}', async () => {
    const wrong = await rt.call(
      'PUT',
      '/functions/x',
      { version: 1, code: 'export default () => 1', env: {}, timeoutSeconds: 5 },
      'wrong-key',
    );
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.code, 'FUNCTIONS_KEY_INVALID');
    const missing = await rt.call(
      'POST',
      '/functions/x/run',
      { version: 1, executionId: 'e', triggerType: 'manual' },
      null,
    );
    assert.equal(missing.status, 401);
    assert.equal(missing.json.code, 'FUNCTIONS_KEY_INVALID');
    const badName = await rt.call('PUT', `/functions/${encodeURIComponent('../etc')}`, {
      version: 1,
      code: 'export default () => 1',
      env: {},
      timeoutSeconds: 5,
    });
    assert.equal(badName.status, 422);
    assert.equal(badName.json.code, 'VALIDATION_FAILED');
    const badBody = await rt.call('PUT', '/functions/ok', {
      version: 1,
      code: '',
      env: {},
      timeoutSeconds: 5,
    });
    assert.equal(badBody.status, 422);
    const badTrigger = await rt.call('POST', '/functions/ok/run', {
      version: 1,
      executionId: 'e',
      triggerType: 'cosmic',
    });
    assert.equal(badTrigger.status, 422);
    assert.ok(KEY.length >= 32);
  });
});

describe('process lifecycle', () => {
  test('an idle function’s process is stopped and started again by its next run; none outlives the service', async () => {
    const rt = await startRuntime({ env: { FUNCTIONS_IDLE_TIMEOUT_SECONDS: '1' } });
    try {
      await rt.deploy('sleepy', 'let runs = 0;\nexport default async function () { return ++runs; }');
      assert.equal((await rt.run('sleepy')).json.result, 1);
      assert.equal((await rt.run('sleepy')).json.result, 2, 'warm: the same process');
      assert.equal(denoPids('/scratch/sleepy').length, 1);
      await waitFor(() => denoPids('/scratch/sleepy').length === 0);
      assert.equal((await rt.run('sleepy')).json.result, 1, 'a fresh process');
    } finally {
      await rt.close();
    }
    assert.deepEqual(denoPids('/scratch/sleepy'), []);
  });
});

describe('concurrency cap', () => {
  test('past FUNCTIONS_MAX_CONCURRENT_RUNS, runs wait for a slot in the process and all complete', async () => {
    const rt = await startRuntime({ env: { FUNCTIONS_MAX_CONCURRENT_RUNS: '2' } });
    try {
      await rt.deploy(
        'narrow',
        `let active = 0;
        export default async function () {
          active++;
          const seen = active;
          await new Promise((r) => setTimeout(r, 200));
          active--;
          return seen;
        }`,
      );
      const results = await Promise.all(Array.from({ length: 6 }, () => rt.run('narrow')));
      for (const run of results) assert.equal(run.json.status, 'completed');
      assert.ok(
        results.every((run) => (run.json.result as number) <= 2),
        `at most 2 at once: ${results.map((r) => r.json.result).join(',')}`,
      );
    } finally {
      await rt.close();
    }
  });
});

describe('process cap', () => {
  test('beyond FUNCTIONS_MAX_PROCESSES the least recently used idle process goes; every function still runs', async () => {
    const rt = await startRuntime({ env: { FUNCTIONS_MAX_PROCESSES: '2' } });
    try {
      for (const name of ['capped-a', 'capped-b', 'capped-c']) {
        assert.equal((await rt.deploy(name, `export default () => '${name}'`)).status, 200);
      }
      await waitFor(() => denoPids('/scratch/capped-').length === 2);
      assert.deepEqual(denoPids('/scratch/capped-a'), [], 'the oldest went');
      const results = await Promise.all(['capped-a', 'capped-b', 'capped-c'].map((name) => rt.run(name)));
      assert.deepEqual(
        results.map((r) => r.json.result),
        ['capped-a', 'capped-b', 'capped-c'],
      );
      await waitFor(() => denoPids('/scratch/capped-').length <= 2);
    } finally {
      await rt.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}
