// The /functions management operations with SelfDB 0.0.5's shapes, limits and status codes: create (pending,
// version 1, 409 FUNCTION_EXISTS), list (paging, search, sort with NULLS LAST), read, edit (every code change is a
// version), env vars, delete, executions and logs (newest first, level filter), pruning by age, and a deploy while
// the runtime is down (503, nothing changed). Deploys against the real runtime: functions-deploy.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPool } from '@selfdb/common';
import pg from 'pg';
import { pruneFunctionRuns } from '../src/modules/functions/maintenance.ts';
import { ADMIN, call, login, startTestApp, type TestApp } from './helpers.ts';

const CODE = 'export default async (request, context) => ({ hello: context.env.NAME ?? "world" });';
const FUNCTION_READ_FIELDS = [
  'avg_execution_time_ms',
  'code',
  'created_at',
  'deployed_version',
  'deployment_error',
  'deployment_status',
  'description',
  'env_vars',
  'execution_count',
  'execution_error_count',
  'execution_success_count',
  'id',
  'is_active',
  'last_deployed_at',
  'last_executed_at',
  'name',
  'owner_id',
  'timeout_seconds',
  'triggers',
  'updated_at',
  'version',
];

let t: TestApp;
let token = '';
let adminId = '';
let db: pg.Client;
before(async () => {
  t = await startTestApp({ FUNCTIONS_INTERNAL_PORT: '1' });
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  adminId = String((await call(t.app, 'GET', '/users/me', { token })).body.id);
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
});
after(async () => {
  await db.end();
  await t.close();
});

const api = (method: string, url: string, body?: unknown) =>
  call(t.app, method, url, { token, ...(body !== undefined && { body }) });

async function createFunction(body: Record<string, unknown>) {
  const response = await api('POST', '/functions/', { code: CODE, ...body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body as unknown as Record<string, unknown> & { id: string };
}

const versions = async (id: string) =>
  (
    await db.query<{ version: number; code: string }>(
      'SELECT version, code FROM function_versions WHERE function_id = $1 ORDER BY version',
      [id],
    )
  ).rows;

describe('create', () => {
  test('201 with 0.0.5 FunctionRead: pending, version 1, not deployed, owned by the admin', async () => {
    const fn = await createFunction({
      name: 'hello-world',
      description: 'says hello',
      timeout_seconds: 12,
      env_vars: { NAME: 'Ada' },
    });
    assert.deepEqual(Object.keys(fn).sort(), FUNCTION_READ_FIELDS);
    assert.equal(fn.name, 'hello-world');
    assert.equal(fn.description, 'says hello');
    assert.equal(fn.code, CODE);
    assert.equal(fn.deployment_status, 'pending');
    assert.equal(fn.deployment_error, null);
    assert.equal(fn.version, 1);
    assert.equal(fn.deployed_version, null);
    assert.deepEqual(fn.triggers, []);
    assert.equal(fn.timeout_seconds, 12);
    assert.deepEqual(fn.env_vars, { NAME: 'Ada' });
    assert.equal(fn.is_active, true);
    assert.equal(fn.owner_id, adminId);
    assert.equal(fn.execution_count, 0);
    assert.equal(fn.last_deployed_at, null);
    assert.deepEqual(await versions(fn.id), [{ version: 1, code: CODE }]);
    const read = await api('GET', `/functions/${fn.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, fn);
  });

  test('defaults: timeout 30, env {} , description null', async () => {
    const fn = await createFunction({ name: 'defaults' });
    assert.equal(fn.timeout_seconds, 30);
    assert.deepEqual(fn.env_vars, {});
    assert.equal(fn.description, null);
  });

  test('a duplicate name is 409 FUNCTION_EXISTS with 0.0.5 text, and nothing is added', async () => {
    await createFunction({ name: 'dup' });
    const count = (await api('GET', '/functions/count')).body;
    const again = await api('POST', '/functions/', { name: 'dup', code: CODE });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, {
      detail: "Function with name 'dup' already exists",
      code: 'FUNCTION_EXISTS',
    });
    assert.equal((await api('GET', '/functions/count')).body, count);
  });

  test("0.0.5's limits: name pattern and length, blank code, timeout 5..300, description ≤ 1000, unknown fields", async () => {
    const count = (await api('GET', '/functions/count')).body;
    const bad: Record<string, unknown>[] = [
      { name: '1starts-with-digit', code: CODE },
      { name: 'has space', code: CODE },
      { name: 'dot.name', code: CODE },
      { name: '../etc', code: CODE },
      { name: '', code: CODE },
      { name: 'a'.repeat(256), code: CODE },
      { name: 'ok' },
      { name: 'ok', code: '' },
      { name: 'ok', code: '   \n\t' },
      { name: 'ok', code: CODE, timeout_seconds: 4 },
      { name: 'ok', code: CODE, timeout_seconds: 301 },
      { name: 'ok', code: CODE, timeout_seconds: 30.5 },
      { name: 'ok', code: CODE, description: 'x'.repeat(1001) },
      { name: 'ok', code: CODE, env_vars: { A: 1 } },
      { name: 'ok', code: CODE, env_vars: ['A'] },
      { name: 'ok', code: CODE, owner_id: adminId },
      { name: 'ok', code: CODE, version: 7 },
    ];
    for (const body of bad) {
      const response = await api('POST', '/functions/', body);
      assert.equal(response.status, 422, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
      assert.equal(response.body.code, 'VALIDATION_FAILED');
    }
    assert.equal((await api('GET', '/functions/count')).body, count);
    // The bounds themselves are accepted.
    assert.equal((await createFunction({ name: 'a'.repeat(255), timeout_seconds: 5 })).timeout_seconds, 5);
    assert.equal((await createFunction({ name: 'Z_9-x', timeout_seconds: 300 })).timeout_seconds, 300);
  });
});

describe('list and count', () => {
  const ids: string[] = [];
  before(async () => {
    for (const name of ['list-b', 'list-a', 'list-c']) ids.push((await createFunction({ name })).id);
    await db.query(
      `UPDATE functions SET last_executed_at = NOW() - make_interval(mins => $2), execution_count = $3 WHERE id = $1`,
      [ids[0], 5, 7],
    );
    await db.query(`UPDATE functions SET last_executed_at = NOW(), execution_count = 2 WHERE id = $1`, [
      ids[2],
    ]);
  });

  test('{functions, total, limit, offset}; default limit 20, newest first', async () => {
    const response = await api('GET', '/functions/');
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body).sort(), ['functions', 'limit', 'offset', 'total']);
    assert.equal(response.body.limit, 20);
    assert.equal(response.body.offset, 0);
    assert.equal(response.body.total, (await api('GET', '/functions/count')).body);
    const listed = response.body.functions as { created_at: string; name: string }[];
    const created = listed.map((f) => f.created_at);
    assert.deepEqual(created, [...created].sort().reverse());
    assert.deepEqual(Object.keys(listed[0]!).sort(), FUNCTION_READ_FIELDS);
  });

  test('search matches name or description, literally; count agrees', async () => {
    const response = await api('GET', '/functions/?search=list-&sort_by=name&sort_order=asc');
    assert.deepEqual(
      (response.body.functions as { name: string }[]).map((f) => f.name),
      ['list-a', 'list-b', 'list-c'],
    );
    assert.equal(response.body.total, 3);
    assert.equal((await api('GET', '/functions/count?search=list-')).body, 3);
    assert.equal((await api('GET', '/functions/count?search=says%20hello')).body, 1);
    assert.equal((await api('GET', '/functions/count?search=%25')).body, 0);
  });

  test('sort_by last_executed_at puts never-run functions last in both orders (NULLS LAST)', async () => {
    for (const order of ['asc', 'desc']) {
      const response = await api(
        'GET',
        `/functions/?search=list-&sort_by=last_executed_at&sort_order=${order}`,
      );
      const names = (response.body.functions as { name: string }[]).map((f) => f.name);
      assert.deepEqual(
        names,
        order === 'asc' ? ['list-b', 'list-c', 'list-a'] : ['list-c', 'list-b', 'list-a'],
      );
    }
    const byCount = await api('GET', '/functions/?search=list-&sort_by=execution_count&sort_order=desc');
    assert.deepEqual(
      (byCount.body.functions as { name: string }[]).map((f) => f.name),
      ['list-b', 'list-c', 'list-a'],
    );
  });

  test('limit and offset page; bad paging and sort values are 422', async () => {
    const page = await api('GET', '/functions/?search=list-&sort_by=name&sort_order=asc&limit=1&offset=1');
    assert.deepEqual(
      (page.body.functions as { name: string }[]).map((f) => f.name),
      ['list-b'],
    );
    assert.equal(page.body.total, 3);
    for (const query of ['limit=0', 'limit=101', 'offset=-1', 'sort_by=code', 'sort_order=up', 'nope=1']) {
      const response = await api('GET', `/functions/?${query}`);
      assert.ok([400, 422].includes(response.status), `${query}: ${response.status}`);
    }
    assert.equal((await api('GET', `/functions/count?search=${'x'.repeat(101)}`)).status, 422);
  });
});

describe('update', () => {
  test('a code change is a new version (version+1, pending, a function_versions row); other edits are not', async () => {
    const fn = await createFunction({ name: 'versioned' });
    const v2 = await api('PATCH', `/functions/${fn.id}`, { code: 'export default async () => 2;' });
    assert.equal(v2.status, 200);
    assert.equal(v2.body.version, 2);
    assert.equal(v2.body.code, 'export default async () => 2;');
    assert.equal(v2.body.deployment_status, 'pending');
    const same = await api('PATCH', `/functions/${fn.id}`, { code: 'export default async () => 2;' });
    assert.equal(same.body.version, 2, 'the same code again is no new version');
    const meta = await api('PATCH', `/functions/${fn.id}`, {
      description: 'now described',
      timeout_seconds: 60,
      is_active: false,
    });
    assert.equal(meta.body.version, 2);
    assert.equal(meta.body.description, 'now described');
    assert.equal(meta.body.timeout_seconds, 60);
    assert.equal(meta.body.is_active, false);
    const v3 = await api('PATCH', `/functions/${fn.id}`, {
      code: 'export default async () => 3;',
      name: 'renamed',
    });
    assert.equal(v3.body.version, 3);
    assert.equal(v3.body.name, 'renamed');
    assert.deepEqual(
      (await versions(fn.id)).map((v) => v.version),
      [1, 2, 3],
    );
    assert.equal((await versions(fn.id))[0]?.code, CODE, 'old versions keep their code');
    // null leaves a field unchanged, except description, which it clears.
    const nulls = await api('PATCH', `/functions/${fn.id}`, {
      name: null,
      code: null,
      timeout_seconds: null,
      description: null,
    });
    assert.equal(nulls.body.name, 'renamed');
    assert.equal(nulls.body.version, 3);
    assert.equal(nulls.body.timeout_seconds, 60);
    assert.equal(nulls.body.description, null);
  });

  test('renaming onto a taken name is 409 FUNCTION_EXISTS and changes nothing (not even a code change in the same PATCH)', async () => {
    await createFunction({ name: 'taken' });
    const fn = await createFunction({ name: 'mover' });
    const response = await api('PATCH', `/functions/${fn.id}`, {
      name: 'taken',
      code: 'export default () => 9;',
    });
    assert.equal(response.status, 409);
    assert.equal(response.body.code, 'FUNCTION_EXISTS');
    const read = await api('GET', `/functions/${fn.id}`);
    assert.equal(read.body.name, 'mover');
    assert.equal(read.body.version, 1);
    assert.equal((await versions(fn.id)).length, 1);
  });

  test('validation: 422 for bad values and unknown fields; 404 for a missing or malformed id', async () => {
    const fn = await createFunction({ name: 'patch-limits' });
    for (const body of [
      { name: '9x' },
      { timeout_seconds: 1000 },
      { code: ' ' },
      { is_active: 'yes' },
      { owner_id: adminId },
      { deployment_status: 'deployed' },
      { version: 9 },
    ]) {
      const response = await api('PATCH', `/functions/${fn.id}`, body);
      assert.equal(response.status, 422, `${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
    }
    const missing = await api('PATCH', '/functions/00000000-0000-4000-8000-000000000000', {
      description: 'x',
    });
    assert.deepEqual(missing.body, { detail: 'Function not found', code: 'NOT_FOUND' });
    assert.equal((await api('GET', '/functions/not-a-uuid')).status, 404);
    assert.equal((await api('GET', '/functions/00000000-0000-4000-8000-000000000000')).status, 404);
  });

  test('PUT /env replaces env_vars (values strings only, at most 100)', async () => {
    const fn = await createFunction({ name: 'env', env_vars: { A: '1', B: '2' } });
    const response = await api('PUT', `/functions/${fn.id}/env`, { env_vars: { C: '3' } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.env_vars, { C: '3' });
    assert.equal(response.body.version, 1);
    for (const body of [{}, { env_vars: null }, { env_vars: { A: 1 } }, { env_vars: { A: 'x' }, extra: 1 }]) {
      assert.equal((await api('PUT', `/functions/${fn.id}/env`, body)).status, 422, JSON.stringify(body));
    }
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`K${i}`, 'v']));
    assert.equal((await api('PUT', `/functions/${fn.id}/env`, { env_vars: many })).status, 422);
    assert.deepEqual((await api('GET', `/functions/${fn.id}`)).body.env_vars, { C: '3' });
    const missing = await api('PUT', '/functions/00000000-0000-4000-8000-000000000000/env', { env_vars: {} });
    assert.equal(missing.status, 404);
  });
});

describe('delete', () => {
  test('204, then 404; its versions, webhooks, executions and logs go with it', async () => {
    const fn = await createFunction({ name: 'doomed' });
    const hook = await api('POST', '/webhooks/', { function_id: fn.id, name: 'h', secret_key: 's' });
    assert.equal(hook.status, 201);
    const deleted = await api('DELETE', `/functions/${fn.id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await api('GET', `/functions/${fn.id}`)).status, 404);
    assert.equal((await api('GET', `/webhooks/${hook.body.id}`)).status, 404);
    assert.equal((await versions(fn.id)).length, 0);
    assert.equal((await api('DELETE', `/functions/${fn.id}`)).status, 404);
  });
});

describe('deploy while the runtime is down', () => {
  test('503 FUNCTIONS_UNAVAILABLE and nothing changed', async () => {
    const fn = await createFunction({ name: 'undeployable' });
    const response = await api('POST', `/functions/${fn.id}/deploy`);
    assert.equal(response.status, 503);
    assert.equal(response.body.code, 'FUNCTIONS_UNAVAILABLE');
    const read = await api('GET', `/functions/${fn.id}`);
    assert.deepEqual(read.body, fn);
    assert.equal((await api('POST', '/functions/00000000-0000-4000-8000-000000000000/deploy')).status, 404);
  });
});

/** Inserts an execution with its log lines, `ageDays` old. */
async function addRun(functionId: string, ageDays: number, levels: string[], status = 'completed') {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO function_executions (function_id, user_id, trigger_type, status, started_at, completed_at,
       duration_ms, result, created_at)
     VALUES ($1, $2, 'http', $3, NOW() - make_interval(days => $4), NOW() - make_interval(days => $4), 12,
       '{"ok": true}', NOW() - make_interval(days => $4))
     RETURNING id`,
    [functionId, adminId, status, ageDays],
  );
  const executionId = rows[0]!.id;
  for (const [index, level] of levels.entries()) {
    await db.query(
      `INSERT INTO function_logs (execution_id, function_id, log_level, message, "timestamp")
       VALUES ($1, $2, $3, $4, NOW() - make_interval(days => $5) + make_interval(secs => $6))`,
      [executionId, functionId, level, `${level} line ${index}`, ageDays, index],
    );
  }
  return executionId;
}

describe('executions and logs', () => {
  test('executions: {executions, total, limit, offset}, newest first, 0.0.5 fields', async () => {
    const fn = await createFunction({ name: 'runs' });
    const old = await addRun(fn.id, 2, []);
    const recent = await addRun(fn.id, 1, [], 'failed');
    const response = await api('GET', `/functions/${fn.id}/executions`);
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body).sort(), ['executions', 'limit', 'offset', 'total']);
    assert.equal(response.body.total, 2);
    assert.equal(response.body.limit, 20);
    const executions = response.body.executions as Record<string, unknown>[];
    assert.deepEqual(
      executions.map((e) => e.id),
      [recent, old],
    );
    assert.deepEqual(Object.keys(executions[0]!).sort(), [
      'completed_at',
      'created_at',
      'duration_ms',
      'error_message',
      'function_id',
      'id',
      'result',
      'started_at',
      'status',
      'trigger_type',
      'user_id',
    ]);
    assert.deepEqual(executions[0]!.result, { ok: true });
    assert.equal(executions[0]!.status, 'failed');
    const page = await api('GET', `/functions/${fn.id}/executions?limit=1&offset=1`);
    assert.deepEqual(
      (page.body.executions as { id: string }[]).map((e) => e.id),
      [old],
    );
    assert.equal(page.body.total, 2);
    assert.equal((await api('GET', `/functions/${fn.id}/executions?limit=101`)).status, 422);
    const missing = await api('GET', '/functions/00000000-0000-4000-8000-000000000000/executions');
    assert.equal(missing.status, 404);
  });

  test('logs: {logs, total, limit, offset}, newest first, filtered by level; limit up to 500', async () => {
    const fn = await createFunction({ name: 'logger' });
    await addRun(fn.id, 1, ['info', 'error', 'warn', 'debug', 'error']);
    const all = await api('GET', `/functions/${fn.id}/logs`);
    assert.equal(all.status, 200);
    assert.deepEqual(Object.keys(all.body).sort(), ['limit', 'logs', 'offset', 'total']);
    assert.equal(all.body.limit, 100);
    assert.equal(all.body.total, 5);
    const logs = all.body.logs as Record<string, unknown>[];
    assert.deepEqual(
      logs.map((l) => l.message),
      ['error line 4', 'debug line 3', 'warn line 2', 'error line 1', 'info line 0'],
    );
    assert.deepEqual(Object.keys(logs[0]!).sort(), [
      'execution_id',
      'function_id',
      'id',
      'log_level',
      'message',
      'timestamp',
    ]);
    const errors = await api('GET', `/functions/${fn.id}/logs?level=error`);
    assert.equal(errors.body.total, 2);
    assert.deepEqual(
      (errors.body.logs as { log_level: string }[]).map((l) => l.log_level),
      ['error', 'error'],
    );
    assert.equal((await api('GET', `/functions/${fn.id}/logs?limit=500`)).status, 200);
    assert.equal((await api('GET', `/functions/${fn.id}/logs?limit=501`)).status, 422);
    assert.equal((await api('GET', `/functions/${fn.id}/logs?level=fatal`)).status, 422);
  });

  test('pruning deletes executions and log lines older than the retention, keeps the rest', async () => {
    const fn = await createFunction({ name: 'pruned' });
    await addRun(fn.id, 45, ['info', 'info']);
    const kept = await addRun(fn.id, 10, ['warn']);
    // A recent execution's old log line (clock skew, a long run) goes too; its execution stays.
    const mixed = await addRun(fn.id, 1, ['info']);
    await db.query(
      `INSERT INTO function_logs (execution_id, function_id, log_level, message, "timestamp")
       VALUES ($1, $2, 'debug', 'ancient', NOW() - INTERVAL '40 days')`,
      [mixed, fn.id],
    );
    const pool = createPool(t.db.pooledUrl, { max: 1 });
    try {
      const pruned = await pruneFunctionRuns(pool, 30);
      assert.ok(pruned && pruned.executions >= 1 && pruned.logs >= 3, JSON.stringify(pruned));
    } finally {
      await pool.end();
    }
    const executions = await api('GET', `/functions/${fn.id}/executions`);
    assert.deepEqual(
      (executions.body.executions as { id: string }[]).map((e) => e.id).sort(),
      [kept, mixed].sort(),
    );
    const logs = await api('GET', `/functions/${fn.id}/logs`);
    assert.deepEqual(
      (logs.body.logs as { message: string }[]).map((l) => l.message),
      ['info line 0', 'warn line 0'],
    );
  });
});
