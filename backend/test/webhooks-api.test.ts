// The /webhooks management operations with SelfDB 0.0.5's shapes, limits and status codes: create (201, random
// URL-safe token, retry_delay_seconds kept), an unknown function (404, not a foreign key 500), the secret shown once
// and masked everywhere after (responses, logs, realtime), edits, token regeneration, delete, deliveries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { MASKED_SECRET } from '../src/modules/webhooks/webhooks.dto.ts';
import { RawClient, socketUrl, startRealtime, type TestRealtime } from '../../realtime/test/helpers.ts';
import { ADMIN, call, login, startTestApp, type TestApp } from './helpers.ts';

const WEBHOOK_READ_FIELDS = [
  'created_at',
  'description',
  'failed_delivery_count',
  'function_id',
  'id',
  'is_active',
  'last_delivery_status',
  'last_received_at',
  'name',
  'owner_id',
  'provider',
  'provider_event_type',
  'rate_limit_per_minute',
  'retry_attempts',
  'retry_delay_seconds',
  'retry_enabled',
  'secret_key',
  'successful_delivery_count',
  'total_delivery_count',
  'updated_at',
  'webhook_token',
];

let t: TestApp;
let token = '';
let adminId = '';
let functionId = '';
let db: pg.Client;
const logLines: string[] = [];
before(async () => {
  t = await startTestApp(
    { LOG_LEVEL: 'trace', FUNCTIONS_INTERNAL_PORT: '1' },
    { logStream: { write: (line) => void logLines.push(line) } },
  );
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  adminId = String((await call(t.app, 'GET', '/users/me', { token })).body.id);
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
  const fn = await api('POST', '/functions/', { name: 'target', code: 'export default async () => 1;' });
  functionId = String(fn.body.id);
});
after(async () => {
  await db.end();
  await t.close();
});

function api(method: string, url: string, body?: unknown) {
  return call(t.app, method, url, { token, ...(body !== undefined && { body }) });
}

let counter = 0;
async function createWebhook(body: Record<string, unknown> = {}) {
  counter += 1;
  const response = await api('POST', '/webhooks/', {
    function_id: functionId,
    name: `hook-${counter}`,
    secret_key: `whsec_secret_${counter}_${Math.random().toString(36).slice(2)}`,
    ...body,
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body as unknown as Record<string, unknown> & {
    id: string;
    secret_key: string;
    webhook_token: string;
  };
}

const storedSecret = async (id: string) =>
  (await db.query<{ secret_key: string }>('SELECT secret_key FROM webhooks WHERE id = $1', [id])).rows[0]
    ?.secret_key;

describe('create', () => {
  test("201 with 0.0.5's WebhookRead; the secret in clear this once; 0.0.5 defaults", async () => {
    const hook = await createWebhook({
      name: 'stripe-payment',
      description: 'payments',
      provider: 'stripe',
      provider_event_type: 'payment_intent.succeeded',
      secret_key: 'whsec_shown_once',
    });
    assert.deepEqual(Object.keys(hook).sort(), WEBHOOK_READ_FIELDS);
    assert.equal(hook.secret_key, 'whsec_shown_once');
    assert.equal(hook.function_id, functionId);
    assert.equal(hook.owner_id, adminId);
    assert.equal(hook.name, 'stripe-payment');
    assert.equal(hook.provider, 'stripe');
    assert.equal(hook.provider_event_type, 'payment_intent.succeeded');
    assert.equal(hook.is_active, true);
    assert.equal(hook.retry_enabled, true);
    assert.equal(hook.rate_limit_per_minute, 100);
    assert.equal(hook.retry_attempts, 3);
    assert.equal(hook.retry_delay_seconds, 60);
    assert.equal(hook.total_delivery_count, 0);
    assert.equal(hook.successful_delivery_count, 0);
    assert.equal(hook.failed_delivery_count, 0);
    assert.equal(hook.last_delivery_status, null);
    assert.match(hook.webhook_token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, URL-safe');
    assert.equal(await storedSecret(hook.id), 'whsec_shown_once');
  });

  test('tokens are unique; retry_delay_seconds and the other limits are kept as sent', async () => {
    const a = await createWebhook({
      rate_limit_per_minute: 1,
      retry_attempts: 10,
      retry_delay_seconds: 3600,
    });
    const b = await createWebhook({
      rate_limit_per_minute: 10000,
      retry_attempts: 1,
      retry_delay_seconds: 1,
    });
    assert.notEqual(a.webhook_token, b.webhook_token);
    const read = await api('GET', `/webhooks/${a.id}`);
    assert.equal(read.body.rate_limit_per_minute, 1);
    assert.equal(read.body.retry_attempts, 10);
    assert.equal(read.body.retry_delay_seconds, 3600, '0.0.5 dropped it; we keep it');
    assert.equal((await api('GET', `/webhooks/${b.id}`)).body.retry_delay_seconds, 1);
  });

  test('an unknown function_id is 404 "Function not found" and adds nothing', async () => {
    const total = (await api('GET', '/webhooks/')).body.total;
    const response = await api('POST', '/webhooks/', {
      function_id: '00000000-0000-4000-8000-000000000000',
      name: 'orphan',
      secret_key: 's',
    });
    assert.equal(response.status, 404);
    assert.deepEqual(response.body, { detail: 'Function not found', code: 'NOT_FOUND' });
    assert.equal((await api('GET', '/webhooks/')).body.total, total);
  });

  test("0.0.5's limits: 422 and nothing added", async () => {
    const total = (await api('GET', '/webhooks/')).body.total;
    const base = { function_id: functionId, name: 'x', secret_key: 's' };
    const bad: Record<string, unknown>[] = [
      { name: 'x', secret_key: 's' },
      { ...base, function_id: 'nope' },
      { ...base, name: '' },
      { ...base, name: 'a'.repeat(256) },
      { function_id: functionId, name: 'x' },
      { ...base, secret_key: '' },
      { ...base, secret_key: '   ' },
      { ...base, secret_key: 's'.repeat(256) },
      { ...base, description: 'd'.repeat(1001) },
      { ...base, provider: 'p'.repeat(51) },
      { ...base, provider_event_type: 'e'.repeat(256) },
      { ...base, rate_limit_per_minute: 0 },
      { ...base, rate_limit_per_minute: 10001 },
      { ...base, retry_attempts: 0 },
      { ...base, retry_attempts: 11 },
      { ...base, retry_delay_seconds: 0 },
      { ...base, retry_delay_seconds: 3601 },
      { ...base, webhook_token: 'mine' },
      { ...base, is_active: false, owner_id: adminId },
    ];
    for (const body of bad) {
      const response = await api('POST', '/webhooks/', body);
      assert.equal(response.status, 422, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
      assert.equal(response.body.code, 'VALIDATION_FAILED');
    }
    assert.equal((await api('GET', '/webhooks/')).body.total, total);
  });
});

describe('the secret is shown once', () => {
  test('read, list, other edits and token regeneration mask it; a PATCH that sets one shows the new one', async () => {
    const hook = await createWebhook({ secret_key: 'whsec_first' });
    const read = await api('GET', `/webhooks/${hook.id}`);
    assert.equal(read.body.secret_key, MASKED_SECRET);
    const listed = (await api('GET', '/webhooks/?limit=100')).body.webhooks as {
      id: string;
      secret_key: string;
    }[];
    assert.ok(listed.length > 0);
    assert.ok(listed.every((w) => w.secret_key === MASKED_SECRET));
    const edited = await api('PATCH', `/webhooks/${hook.id}`, { name: 'renamed' });
    assert.equal(edited.body.secret_key, MASKED_SECRET);
    const regenerated = await api('POST', `/webhooks/${hook.id}/regenerate-token`);
    assert.equal(regenerated.body.secret_key, MASKED_SECRET);
    const rotated = await api('PATCH', `/webhooks/${hook.id}`, { secret_key: 'whsec_second' });
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.secret_key, 'whsec_second');
    assert.equal((await api('GET', `/webhooks/${hook.id}`)).body.secret_key, MASKED_SECRET);
    assert.equal(await storedSecret(hook.id), 'whsec_second');
    // The masked string sent back is a secret like any other only if sent on purpose; null keeps the secret.
    const kept = await api('PATCH', `/webhooks/${hook.id}`, { secret_key: null, description: 'd' });
    assert.equal(kept.body.secret_key, MASKED_SECRET);
    assert.equal(await storedSecret(hook.id), 'whsec_second');
  });

  test('no log line holds a secret (requests, bodies, errors), at trace level', async () => {
    const secrets = ['whsec_log_create_7f3a', 'whsec_log_patch_91bc', 'whsec_log_refused_e2d4'];
    const hook = await createWebhook({ secret_key: secrets[0] });
    await api('PATCH', `/webhooks/${hook.id}`, { secret_key: secrets[1] });
    const refused = await api('POST', '/webhooks/', {
      function_id: functionId,
      name: 'x',
      secret_key: secrets[2],
      unknown_field: true,
    });
    assert.equal(refused.status, 422);
    const log = logLines.join('');
    assert.match(log, /"url":"\/webhooks\/"/, 'requests are logged');
    for (const secret of secrets) assert.equal(log.includes(secret), false, `log leaks ${secret}`);
  });
});

describe('the secret never reaches realtime', () => {
  let realtime: TestRealtime;
  before(async () => {
    realtime = await startRealtime(t.db);
  });
  after(() => realtime.close());

  test('webhooks are no realtime topic, and an admin subscribed to every system table never sees a secret', async () => {
    const client = await RawClient.open(socketUrl(realtime.base, { token }));
    try {
      const refused = await client.join('table:webhooks');
      assert.equal((refused.payload as { status: string }).status, 'error');
      for (const topic of ['table:users', 'table:tables', 'table:buckets', 'table:files']) {
        const joined = await client.join(topic);
        assert.equal((joined.payload as { status: string }).status, 'ok', topic);
      }
      const secrets = ['whsec_rt_create_5c1e', 'whsec_rt_patch_0d9a'];
      const hook = await createWebhook({ secret_key: secrets[0] });
      await api('PATCH', `/webhooks/${hook.id}`, { secret_key: secrets[1], name: 'rt' });
      await api('POST', `/webhooks/${hook.id}/regenerate-token`);
      await api('DELETE', `/webhooks/${hook.id}`);
      // A sentinel change after them: once it arrives, everything before it was delivered.
      const created = await call(t.app, 'POST', '/users/', {
        body: { email: 'sentinel@example.com', password: 'Sentinel123', firstName: 'S', lastName: 'N' },
      });
      assert.equal(created.status, 201);
      await client.waitForChanges('table:users', 1, 15_000);
      const received = JSON.stringify(client.frames);
      const outbox = JSON.stringify((await db.query('SELECT * FROM realtime.changes')).rows);
      for (const secret of secrets) {
        assert.equal(received.includes(secret), false, 'a subscriber got the secret');
        assert.equal(outbox.includes(secret), false, 'the outbox holds the secret');
      }
      assert.equal(received.includes(hook.webhook_token), false, 'nor the trigger token');
    } finally {
      client.close();
    }
  });
});

describe('read, list, update, regenerate, delete, deliveries', () => {
  test('list: {webhooks, total, limit, offset}, newest first, paged; bad paging is 422', async () => {
    const a = await createWebhook();
    const b = await createWebhook();
    const response = await api('GET', '/webhooks/');
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body).sort(), ['limit', 'offset', 'total', 'webhooks']);
    assert.equal(response.body.limit, 20);
    const ids = (response.body.webhooks as { id: string }[]).map((w) => w.id);
    assert.ok(ids.indexOf(b.id) < ids.indexOf(a.id), 'newest first');
    const page = await api('GET', '/webhooks/?limit=1&offset=1');
    assert.equal((page.body.webhooks as unknown[]).length, 1);
    assert.equal(page.body.total, response.body.total);
    for (const query of ['limit=0', 'limit=101', 'offset=-1', 'search=x']) {
      const bad = await api('GET', `/webhooks/?${query}`);
      assert.ok([400, 422].includes(bad.status), `${query}: ${bad.status}`);
    }
  });

  test('PATCH edits the 0.0.5 fields, validates, and 404s a missing webhook', async () => {
    const hook = await createWebhook();
    const response = await api('PATCH', `/webhooks/${hook.id}`, {
      name: 'edited',
      description: 'now described',
      is_active: false,
      rate_limit_per_minute: 5,
      retry_attempts: 7,
      retry_delay_seconds: 120,
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.name, 'edited');
    assert.equal(response.body.description, 'now described');
    assert.equal(response.body.is_active, false);
    assert.equal(response.body.rate_limit_per_minute, 5);
    assert.equal(response.body.retry_attempts, 7);
    assert.equal(response.body.retry_delay_seconds, 120);
    assert.equal(response.body.webhook_token, hook.webhook_token);
    for (const body of [
      { retry_delay_seconds: 0 },
      { rate_limit_per_minute: 10001 },
      { function_id: functionId },
      { webhook_token: 'x' },
      { provider: 'github' },
      { name: '' },
    ]) {
      assert.equal((await api('PATCH', `/webhooks/${hook.id}`, body)).status, 422, JSON.stringify(body));
    }
    const missing = await api('PATCH', '/webhooks/00000000-0000-4000-8000-000000000000', { name: 'x' });
    assert.deepEqual(missing.body, { detail: 'Webhook not found', code: 'NOT_FOUND' });
    assert.equal((await api('GET', '/webhooks/not-a-uuid')).status, 404);
  });

  test('regenerate-token gives a new random token; the old one is gone from the database', async () => {
    const hook = await createWebhook();
    const response = await api('POST', `/webhooks/${hook.id}/regenerate-token`);
    assert.equal(response.status, 200);
    assert.match(String(response.body.webhook_token), /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(response.body.webhook_token, hook.webhook_token);
    const old = await db.query('SELECT 1 FROM webhooks WHERE webhook_token = $1', [hook.webhook_token]);
    assert.equal(old.rowCount, 0);
    const missing = await api('POST', '/webhooks/00000000-0000-4000-8000-000000000000/regenerate-token');
    assert.equal(missing.status, 404);
  });

  test('DELETE: 204, then 404; its deliveries go with it', async () => {
    const hook = await createWebhook();
    await db.query(`INSERT INTO webhook_deliveries (webhook_id, function_id) VALUES ($1, $2)`, [
      hook.id,
      functionId,
    ]);
    assert.equal((await api('DELETE', `/webhooks/${hook.id}`)).status, 204);
    assert.equal((await api('GET', `/webhooks/${hook.id}`)).status, 404);
    assert.equal((await api('DELETE', `/webhooks/${hook.id}`)).status, 404);
    const left = await db.query('SELECT 1 FROM webhook_deliveries WHERE webhook_id = $1', [hook.id]);
    assert.equal(left.rowCount, 0);
  });

  test('deliveries: {deliveries, total, limit, offset}, newest first, 0.0.5 fields; 404 for a missing webhook', async () => {
    const hook = await createWebhook();
    const ids: string[] = [];
    for (const age of [3, 2, 1]) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO webhook_deliveries (webhook_id, function_id, source_ip, request_headers, request_body,
           signature_valid, status, created_at, received_at)
         VALUES ($1, $2, '203.0.113.9', '{"user-agent": "test"}', $3, true, 'completed',
           NOW() - make_interval(mins => $4), NOW() - make_interval(mins => $4))
         RETURNING id`,
        [hook.id, functionId, JSON.stringify({ n: age }), age],
      );
      ids.push(rows[0]!.id);
    }
    const response = await api('GET', `/webhooks/${hook.id}/deliveries`);
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body).sort(), ['deliveries', 'limit', 'offset', 'total']);
    assert.equal(response.body.total, 3);
    const deliveries = response.body.deliveries as Record<string, unknown>[];
    assert.deepEqual(
      deliveries.map((d) => d.id),
      [...ids].reverse(),
    );
    assert.deepEqual(Object.keys(deliveries[0]!).sort(), [
      'created_at',
      'delivery_attempt',
      'error_message',
      'execution_result',
      'execution_time_ms',
      'function_execution_id',
      'function_id',
      'id',
      'next_retry_at',
      'processing_completed_at',
      'processing_started_at',
      'received_at',
      'request_body',
      'request_headers',
      'response_status_code',
      'retry_count',
      'signature_valid',
      'source_ip',
      'status',
      'updated_at',
      'webhook_id',
    ]);
    assert.deepEqual(deliveries[0]!.request_body, { n: 1 });
    assert.equal(deliveries[0]!.source_ip, '203.0.113.9');
    const page = await api('GET', `/webhooks/${hook.id}/deliveries?limit=2&offset=2`);
    assert.deepEqual(
      (page.body.deliveries as { id: string }[]).map((d) => d.id),
      [ids[0]],
    );
    const missing = await api('GET', '/webhooks/00000000-0000-4000-8000-000000000000/deliveries');
    assert.equal(missing.status, 404);
  });
});
