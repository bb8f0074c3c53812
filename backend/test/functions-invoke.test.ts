// The HTTP trigger (ANY /functions/{name}/invoke[/*]) and 0.0.5's execution-result callback, against the real
// functions runtime: methods, paths, query, raw bodies and the caller's user reach the function; its response comes
// back as it gave it; 404/405/413/401 for what may not run; and every run is recorded (execution, logs with their
// levels, counters) before the caller gets the answer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { API_KEY, call, registerUser } from './helpers.ts';
import {
  deployFunction,
  type FunctionsStack,
  getFunction,
  listExecutions,
  listLogs,
  sleep,
  startFunctionsStack,
} from './functions-helpers.ts';

let stack: FunctionsStack;

const ECHO = `
export const triggers = [{ type: 'http', method: ['GET', 'POST'] }];
export default async function (request, context) {
  const url = new URL(request.url);
  console.log('plain line');
  console.info('info line');
  console.warn('warn line');
  console.error('error line');
  console.debug('debug line');
  console.log('[ERROR] prefixed line');
  return {
    method: request.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    body: await request.text(),
    contentType: request.headers.get('content-type'),
    apiKey: request.headers.get('x-api-key'),
    authorization: request.headers.get('authorization'),
    user: context.user,
  };
}`;

const RESPONDER = `
export default async function (request) {
  if (request.method === 'DELETE') return new Response(null, { status: 204 });
  return new Response('made: ' + (await request.text()), {
    status: 201,
    headers: { 'content-type': 'text/plain', 'x-custom': 'yes', 'connection': 'close', 'keep-alive': 'timeout=5' },
  });
}`;

const THROWER = `export default async function () { console.error('about to fail'); throw new Error('secret internal reason'); }`;

let echoId: string;
let responderId: string;
let throwerId: string;

before(async () => {
  stack = await startFunctionsStack();
  echoId = (await deployFunction(stack, 'echo', ECHO)).id;
  responderId = (await deployFunction(stack, 'responder', RESPONDER)).id;
  throwerId = (await deployFunction(stack, 'thrower', THROWER)).id;
});
after(() => stack?.close());

type Echo = {
  method: string;
  path: string;
  query: Record<string, string>;
  body: string;
  contentType: string | null;
  apiKey: string | null;
  authorization: string | null;
  user: { id: string; email: string; role: string } | null;
};

test('GET with a path and a query reaches the function; the credentials of the call do not', async () => {
  const response = await call(stack.app, 'GET', '/functions/echo/invoke/a/b?x=1&y=two');
  assert.equal(response.status, 200);
  const echo = response.body as unknown as Echo;
  assert.equal(echo.method, 'GET');
  assert.equal(echo.path, '/a/b');
  assert.deepEqual(echo.query, { x: '1', y: 'two' });
  assert.equal(echo.apiKey, null);
  assert.equal(echo.authorization, null);
  assert.equal(echo.user, null);

  const bare = await call(stack.app, 'GET', '/functions/echo/invoke');
  assert.equal(bare.status, 200);
  assert.equal((bare.body as unknown as Echo).path, '/');
});

test('POST passes the raw body through, whatever its type', async () => {
  const response = await stack.app.inject({
    method: 'POST',
    url: '/functions/echo/invoke/items',
    headers: { 'x-api-key': API_KEY, 'content-type': 'text/csv' },
    payload: 'a,b\n1,2\n',
  });
  assert.equal(response.statusCode, 200);
  const echo = response.json() as Echo;
  assert.equal(echo.body, 'a,b\n1,2\n');
  assert.equal(echo.contentType, 'text/csv');
  assert.equal(echo.path, '/items');

  const json = await call(stack.app, 'POST', '/functions/echo/invoke', { body: { deep: { value: [1, 2] } } });
  assert.equal(json.status, 200);
  assert.deepEqual(JSON.parse((json.body as unknown as Echo).body), { deep: { value: [1, 2] } });
});

test('a valid token gives the function its user; an invalid one is a 401; the execution belongs to the caller', async () => {
  const user = await registerUser(stack.app, 'invoker@example.com');
  const response = await call(stack.app, 'GET', '/functions/echo/invoke', { token: user.access_token });
  assert.equal(response.status, 200);
  const echo = response.body as unknown as Echo;
  assert.equal(echo.user?.id, user.id);
  assert.equal(echo.user?.email, 'invoker@example.com');
  assert.equal(echo.user?.role, 'USER');

  const executions = await listExecutions(stack, echoId);
  assert.ok(executions.some((e) => e.user_id === user.id && e.trigger_type === 'http'));

  const bad = await call(stack.app, 'GET', '/functions/echo/invoke', { token: 'not-a-token' });
  assert.equal(bad.status, 401);
  assert.equal(typeof bad.body.code, 'string');
  const noKey = await call(stack.app, 'GET', '/functions/echo/invoke', { apiKey: null });
  assert.equal(noKey.status, 406);
});

test('methods the triggers do not declare are 405 with Allow; unknown, undeployed and inactive functions 404', async () => {
  const put = await call(stack.app, 'PUT', '/functions/echo/invoke', { body: {} });
  assert.equal(put.status, 405);
  assert.equal(put.body.code, 'METHOD_NOT_ALLOWED');
  assert.deepEqual(String(put.headers.allow).split(', ').sort(), ['GET', 'HEAD', 'POST']);

  const unknown = await call(stack.app, 'GET', '/functions/nope/invoke');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 'NOT_FOUND');

  const created = await call(stack.app, 'POST', '/functions/', {
    token: stack.adminToken,
    body: { name: 'never-deployed', code: ECHO },
  });
  assert.equal(created.status, 201);
  assert.equal((await call(stack.app, 'GET', '/functions/never-deployed/invoke')).status, 404);

  const inactive = await deployFunction(stack, 'to-deactivate', ECHO);
  assert.equal((await call(stack.app, 'GET', '/functions/to-deactivate/invoke')).status, 200);
  const patched = await call(stack.app, 'PATCH', `/functions/${inactive.id}`, {
    token: stack.adminToken,
    body: { is_active: false },
  });
  assert.equal(patched.status, 200);
  await sleep(1100); // the HTTP trigger trusts a function's row for FUNCTION_CACHE_TTL_MS
  assert.equal((await call(stack.app, 'GET', '/functions/to-deactivate/invoke')).status, 404);

  const scheduled = await deployFunction(
    stack,
    'schedule-only',
    `export const triggers = [{ type: 'event', event: 'never' }]; export default async () => 1;`,
  );
  assert.ok(scheduled.id);
  const noHttp = await call(stack.app, 'GET', '/functions/schedule-only/invoke');
  assert.equal(noHttp.status, 404);
});

test('a body above the limit is a 413 and runs nothing', async () => {
  const before = (await getFunction(stack, echoId)).execution_count;
  const response = await stack.app.inject({
    method: 'POST',
    url: '/functions/echo/invoke',
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(6 * 1024 * 1024 + 1, 1),
  });
  assert.equal(response.statusCode, 413);
  assert.equal(response.json().code, 'PAYLOAD_TOO_LARGE');
  assert.equal((await getFunction(stack, echoId)).execution_count, before);
});

test("the function's response comes back with its status and headers, without hop-by-hop ones", async () => {
  const response = await stack.app.inject({
    method: 'POST',
    url: '/functions/responder/invoke',
    headers: { 'x-api-key': API_KEY, 'content-type': 'text/plain' },
    payload: 'thing',
  });
  assert.equal(response.statusCode, 201);
  assert.equal(response.body, 'made: thing');
  assert.equal(response.headers['x-custom'], 'yes');
  assert.match(String(response.headers['content-type']), /^text\/plain/);
  assert.equal(response.headers['keep-alive'], undefined);
  const deleted = await call(stack.app, 'DELETE', '/functions/responder/invoke');
  assert.equal(deleted.status, 204);
  assert.ok(responderId);
});

test('a function that throws is a 502 naming the execution, which records the reason (the caller never sees it)', async () => {
  const response = await call(stack.app, 'GET', '/functions/thrower/invoke');
  assert.equal(response.status, 502);
  assert.equal(response.body.code, 'FUNCTION_FAILED');
  assert.doesNotMatch(String(response.body.detail), /secret internal reason/);
  const [execution] = await listExecutions(stack, throwerId);
  assert.ok(execution);
  assert.match(String(response.body.detail), new RegExp(execution.id));
  assert.equal(execution.status, 'failed');
  assert.match(String(execution.error_message), /secret internal reason/);
  const logs = await listLogs(stack, throwerId);
  assert.ok(logs.some((l) => l.log_level === 'error' && l.message === 'about to fail'));
  const fn = await getFunction(stack, throwerId);
  assert.equal(fn.execution_error_count, 1);
});

test('each run is recorded before the answer: execution, logs with their levels, counters and average', async () => {
  const before = await getFunction(stack, echoId);
  const runs = 5;
  for (let i = 0; i < runs; i++) {
    assert.equal((await call(stack.app, 'GET', `/functions/echo/invoke?i=${i}`)).status, 200);
  }
  // Read straight away: the answer came after the record was committed.
  const fn = await getFunction(stack, echoId);
  assert.equal(fn.execution_count, before.execution_count + runs);
  assert.equal(fn.execution_success_count, before.execution_success_count + runs);
  assert.equal(fn.execution_error_count, before.execution_error_count);
  assert.equal(typeof fn.avg_execution_time_ms, 'number');
  assert.ok(fn.last_executed_at);

  const executions = await listExecutions(stack, echoId);
  const latest = executions[0]!;
  assert.equal(latest.status, 'completed');
  assert.equal(latest.trigger_type, 'http');
  assert.equal(typeof latest.duration_ms, 'number');
  assert.deepEqual((latest.result as Echo).query, { i: String(runs - 1) });

  const logs = (await listLogs(stack, echoId)).filter((l) => l.execution_id === latest.id);
  const byMessage = Object.fromEntries(logs.map((l) => [l.message, l.log_level]));
  assert.deepEqual(byMessage, {
    'plain line': 'info',
    'info line': 'info',
    'warn line': 'warn',
    'error line': 'error',
    'debug line': 'debug',
    '[ERROR] prefixed line': 'error',
  });
  const errorsOnly = await listLogs(stack, echoId, 'error');
  assert.ok(errorsOnly.length > 0 && errorsOnly.every((l) => l.log_level === 'error'));
});

test('concurrent calls are each recorded once (group commit)', async () => {
  const before = await getFunction(stack, echoId);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => call(stack.app, 'GET', `/functions/echo/invoke?c=${i}`)),
  );
  assert.ok(results.every((r) => r.status === 200));
  const fn = await getFunction(stack, echoId);
  assert.equal(fn.execution_count, before.execution_count + 20);
  const sql = new pg.Client({ connectionString: stack.db.directUrl });
  await sql.connect();
  try {
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM function_executions WHERE function_id = $1 AND result->'query' ? 'c'`,
      [echoId],
    );
    assert.equal(rows[0].n, 20);
  } finally {
    await sql.end();
  }
});

test("0.0.5's execution-result callback records a run with its log levels (API key only)", async () => {
  const before = await getFunction(stack, responderId);
  const response = await call(stack.app, 'POST', '/functions/responder/execution-result', {
    body: {
      execution_id: 'abc123',
      function_name: 'responder',
      success: false,
      result: { message: 'nope' },
      logs: ['[LOG] started', '[WARN] careful', '[ERROR] broke'],
      execution_time_ms: 125.5,
      timestamp: '2026-01-01T00:00:00Z',
    },
  });
  assert.equal(response.status, 200);
  assert.equal(response.body.received, true);
  const executionId = String(response.body.execution_id);
  const executions = await listExecutions(stack, responderId);
  const recorded = executions.find((e) => e.id === executionId);
  assert.ok(recorded);
  assert.equal(recorded.status, 'failed');
  assert.equal(recorded.trigger_type, 'http');
  assert.equal(recorded.duration_ms, 126);
  assert.deepEqual(recorded.result, { message: 'nope' });
  const logs = (await listLogs(stack, responderId)).filter((l) => l.execution_id === executionId);
  assert.deepEqual(logs.map((l) => l.log_level).sort(), ['error', 'info', 'warn']);
  const fn = await getFunction(stack, responderId);
  assert.equal(fn.execution_count, before.execution_count + 1);
  assert.equal(fn.execution_error_count, before.execution_error_count + 1);

  const unknown = await call(stack.app, 'POST', '/functions/ghost/execution-result', {
    body: { success: true, logs: [] },
  });
  assert.equal(unknown.status, 200);
  assert.deepEqual(unknown.body, { received: true, warning: 'Function not found' });

  const noKey = await call(stack.app, 'POST', '/functions/responder/execution-result', {
    apiKey: null,
    body: { success: true },
  });
  assert.equal(noKey.status, 406);
  const badBody = await call(stack.app, 'POST', '/functions/responder/execution-result', {
    body: { success: 'yes', execution_time_ms: -1 },
  });
  assert.ok(badBody.status === 422 || badBody.status === 400, String(badBody.status));
});
