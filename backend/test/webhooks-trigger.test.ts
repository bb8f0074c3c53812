// Incoming webhooks' public side (issue 12, part 4): POST /webhooks/trigger/{token} needs no API key, records each
// delivery (source address, headers without secrets, body), verifies GitHub, Stripe and Standard Webhooks signatures
// with the webhook's secret (a bad one: 401, recorded as invalid, never run), refuses bodies over
// WEBHOOK_MAX_BODY_KB (413, before reading when announced), enforces rate_limit_per_minute across backend processes
// (429 + Retry-After), and queues the run in the same transaction as the delivery. Plus the admin's manual retry.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { type FunctionsRuntime, startFunctionsRuntime } from '../../scripts/lib/functions-runtime.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp, testEnv } from './helpers.ts';

const SECRET = 'whook-secret-0123456789';
const MAX_BODY_KB = 4;
const BASE_ENV = { WEBHOOK_MAX_BODY_KB: String(MAX_BODY_KB), FUNCTIONS_INTERNAL_PORT: '1' };

let t: TestApp;
let db: pg.Client;
let adminToken: string;
let functionId: string;

before(async () => {
  // No runtime here (port 1 refuses at once): this app never listens, so no worker runs the jobs these tests queue.
  t = await startTestApp(BASE_ENV);
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
  adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO functions (name, code, owner_id)
     SELECT 'on-github', 'export default async () => ({ ok: true })', id FROM users WHERE email = $1
     RETURNING id`,
    [ADMIN.email],
  );
  functionId = rows[0]!.id;
});

after(async () => {
  await db?.end();
  await t?.close();
});

interface WebhookOptions {
  active?: boolean;
  rateLimit?: number;
  retryEnabled?: boolean;
  retryAttempts?: number;
  retryDelaySeconds?: number;
  secret?: string;
}

/** A webhook on the test function; returns its id and token. */
async function createWebhook(options: WebhookOptions = {}) {
  const token = randomBytes(32).toString('base64url');
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO webhooks (function_id, owner_id, name, webhook_token, secret_key, is_active, rate_limit_per_minute,
       retry_enabled, retry_attempts, retry_delay_seconds)
     SELECT $1, owner_id, 'hook', $2, $3, $4, $5, $6, $7, $8 FROM functions WHERE id = $1
     RETURNING id`,
    [
      functionId,
      token,
      options.secret ?? SECRET,
      options.active ?? true,
      options.rateLimit ?? 100,
      options.retryEnabled ?? true,
      options.retryAttempts ?? 3,
      options.retryDelaySeconds ?? 60,
    ],
  );
  return { id: rows[0]!.id, token };
}

/** A trigger call without any API key: raw body bytes as given. */
async function trigger(
  app: FastifyInstance,
  token: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  remoteAddress?: string,
) {
  const response = await app.inject({
    method: 'POST',
    url: `/webhooks/trigger/${token}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: body,
    ...(remoteAddress && { remoteAddress }),
  });
  return { status: response.statusCode, headers: response.headers, body: response.json() };
}

const delivery = async (id: string) =>
  (await db.query('SELECT * FROM webhook_deliveries WHERE id = $1', [id])).rows[0];
const deliveriesOf = async (webhookId: string) =>
  (await db.query('SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at', [webhookId]))
    .rows;
const jobsOf = async (deliveryId: string) =>
  (
    await db.query('SELECT * FROM selfdb.function_jobs WHERE webhook_delivery_id = $1 ORDER BY id', [
      deliveryId,
    ])
  ).rows;
const webhookRow = async (id: string) =>
  (await db.query('SELECT * FROM webhooks WHERE id = $1', [id])).rows[0];

const hmacHex = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest('hex');
const hmacB64 = (key: string | Buffer, text: string) =>
  createHmac('sha256', key).update(text).digest('base64');
const now = () => Math.floor(Date.now() / 1000);

describe('accepting a delivery', () => {
  test('202 {accepted, delivery_id, function} without an API key; delivery and job recorded at once', async () => {
    const hook = await createWebhook({ retryAttempts: 4, retryDelaySeconds: 7 });
    const body = '{"action":"opened","number":42}';
    const response = await trigger(
      t.app,
      hook.token,
      body,
      { 'x-github-event': 'pull_request' },
      '203.0.113.7',
    );
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body).sort(), ['accepted', 'delivery_id', 'function']);
    assert.equal(response.body.accepted, true);
    assert.equal(response.body.function, 'on-github');
    const row = await delivery(response.body.delivery_id);
    assert.equal(row.status, 'queued');
    assert.equal(row.webhook_id, hook.id);
    assert.equal(row.function_id, functionId);
    assert.equal(row.source_ip, '203.0.113.7');
    assert.deepEqual(row.request_body, { action: 'opened', number: 42 });
    assert.equal(row.signature_valid, null, 'unsigned: accepted with signature_valid null');
    assert.equal(row.request_headers['x-github-event'], 'pull_request');
    assert.equal(row.delivery_attempt, 1);
    assert.equal(row.retry_count, 0);
    const jobs = await jobsOf(row.id);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].function_id, functionId);
    assert.equal(jobs[0].trigger_type, 'webhook');
    assert.equal(jobs[0].max_attempts, 4, 'retry_attempts attempts when retries are on');
    assert.equal(jobs[0].retry_delay_seconds, 7);
    assert.deepEqual(jobs[0].payload, { action: 'opened', number: 42 });
    const webhook = await webhookRow(hook.id);
    assert.equal(webhook.total_delivery_count, 1);
    assert.ok(webhook.last_received_at instanceof Date);
    assert.equal(webhook.last_delivery_status, 'queued');
  });

  test('source_ip: the peer, or the X-Forwarded-For client only with TRUST_PROXY', async () => {
    const hook = await createWebhook();
    const forwarded = { 'x-forwarded-for': '198.51.100.9' };
    const direct = await trigger(t.app, hook.token, '{}', forwarded, '10.0.0.5');
    assert.equal((await delivery(direct.body.delivery_id)).source_ip, '10.0.0.5');
    const proxied = await buildApp(loadConfig(testEnv(t.db, { ...BASE_ENV, TRUST_PROXY: 'true' })), {
      logger: false,
    });
    try {
      const behind = await trigger(proxied, hook.token, '{}', forwarded, '10.0.0.5');
      assert.equal((await delivery(behind.body.delivery_id)).source_ip, '198.51.100.9');
    } finally {
      await proxied.close();
    }
  });

  test('retries off: one attempt; a wrong API key is ignored (the token is the credential)', async () => {
    const hook = await createWebhook({ retryEnabled: false, retryAttempts: 5 });
    const response = await trigger(t.app, hook.token, '{}', { 'x-api-key': 'wrong-key' });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.equal((await jobsOf(response.body.delivery_id))[0].max_attempts, 1);
  });

  test('credentials are dropped from the stored headers, signature values redacted', async () => {
    const hook = await createWebhook();
    const body = '{"a":1}';
    const response = await trigger(t.app, hook.token, body, {
      authorization: 'Bearer leaked-token',
      cookie: 'session=leaked-cookie',
      'x-api-key': 'leaked-api-key',
      'x-hub-signature-256': `sha256=${hmacHex(SECRET, body)}`,
      'x-webhook-secret': 'leaked-secret',
      'user-agent': 'GitHub-Hookshot/abc',
    });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const row = await delivery(response.body.delivery_id);
    const stored = JSON.stringify(row.request_headers);
    for (const leaked of [
      'leaked-token',
      'leaked-cookie',
      'leaked-api-key',
      'leaked-secret',
      hmacHex(SECRET, body),
    ]) {
      assert.ok(!stored.includes(leaked), `${leaked} stored: ${stored}`);
    }
    assert.equal(row.request_headers.authorization, undefined);
    assert.equal(row.request_headers.cookie, undefined);
    assert.equal(row.request_headers['x-api-key'], undefined);
    assert.equal(row.request_headers['x-hub-signature-256'], '[redacted]');
    assert.equal(row.request_headers['user-agent'], 'GitHub-Hookshot/abc');
    assert.equal(row.signature_valid, true);
  });

  test('a body that is not JSON is stored as {} (as 0.0.5); any JSON value is kept as sent', async () => {
    const hook = await createWebhook();
    const text = await trigger(t.app, hook.token, 'payload=a%3Db', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(text.status, 202);
    assert.deepEqual((await delivery(text.body.delivery_id)).request_body, {});
    const empty = await t.app.inject({ method: 'POST', url: `/webhooks/trigger/${hook.token}` });
    assert.equal(empty.statusCode, 202, empty.body);
    assert.deepEqual((await delivery(empty.json().delivery_id)).request_body, {});
    const list = await trigger(t.app, hook.token, '[1,"two",{"three":3}]', { 'content-type': 'text/plain' });
    assert.equal(list.status, 202);
    assert.deepEqual((await delivery(list.body.delivery_id)).request_body, [1, 'two', { three: 3 }]);
  });

  test('JSON Postgres cannot store (\\u0000) is a clear 400 and records nothing', async () => {
    const hook = await createWebhook();
    const response = await trigger(t.app, hook.token, '{"a":"x\\u0000y"}');
    assert.equal(response.status, 400);
    assert.equal(response.body.code, 'INVALID_JSON');
    assert.equal((await deliveriesOf(hook.id)).length, 0);
    assert.equal((await webhookRow(hook.id)).total_delivery_count, 0);
  });
});

describe('tokens', () => {
  test('the token (a credential) and the secret never reach the log', async () => {
    const lines: string[] = [];
    const logged = await buildApp(loadConfig(testEnv(t.db, { ...BASE_ENV, LOG_LEVEL: 'info' })), {
      logStream: { write: (line: string) => void lines.push(line) },
    });
    try {
      const hook = await createWebhook();
      const body = '{"x":1}';
      const ok = await trigger(logged, hook.token, body, {
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      });
      assert.equal(ok.status, 401);
      const text = lines.join('');
      assert.match(text, /\/webhooks\/trigger\/\[redacted\]/);
      assert.ok(!text.includes(hook.token), 'token logged');
      assert.ok(!text.includes(SECRET), 'secret logged');
    } finally {
      await logged.close();
    }
  });

  test('unknown, malformed and inactive tokens: 404 "Webhook not found or inactive", nothing recorded', async () => {
    const inactive = await createWebhook({ active: false });
    for (const token of [
      randomBytes(32).toString('base64url'),
      'bad.token',
      'has%20space',
      '%27%20OR%201%3D1--',
      inactive.token,
    ]) {
      const response = await trigger(t.app, token, '{}');
      assert.equal(response.status, 404, token);
      assert.deepEqual(response.body, { detail: 'Webhook not found or inactive', code: 'NOT_FOUND' });
    }
    assert.equal((await deliveriesOf(inactive.id)).length, 0);
    // 0.0.5's rule: a token over 255 characters is not a token (404); past the router's parameter limit
    // (1,000 characters) the URL is refused as too long.
    assert.equal((await trigger(t.app, 'a'.repeat(300), '{}')).status, 404);
    const long = await trigger(t.app, 'a'.repeat(1001), '{}');
    assert.equal(long.status, 414);
    assert.equal(long.body.code, 'URI_TOO_LONG');
  });
});

describe('signatures', () => {
  const body = '{ "event" : "charge.succeeded", "id": 1 }';

  async function expectValid(hookToken: string, headers: Record<string, string>) {
    const response = await trigger(t.app, hookToken, body, headers);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const row = await delivery(response.body.delivery_id);
    assert.equal(row.signature_valid, true);
    assert.equal((await jobsOf(row.id)).length, 1);
  }

  async function expectInvalid(hook: { id: string; token: string }, headers: Record<string, string>) {
    const before = (await deliveriesOf(hook.id)).length;
    const response = await trigger(t.app, hook.token, body, headers);
    assert.equal(response.status, 401, JSON.stringify(response.body));
    assert.equal(response.body.code, 'WEBHOOK_SIGNATURE_INVALID');
    assert.ok(!String(response.body.detail).includes(SECRET));
    const rows = await deliveriesOf(hook.id);
    assert.equal(rows.length, before + 1, 'the refused delivery is recorded');
    const row = rows.at(-1);
    assert.equal(row.signature_valid, false);
    assert.equal(row.status, 'failed');
    assert.ok(row.error_message);
    assert.equal((await jobsOf(row.id)).length, 0, 'never run');
  }

  test('GitHub X-Hub-Signature-256 over the raw bytes', async () => {
    const hook = await createWebhook();
    await expectValid(hook.token, { 'x-hub-signature-256': `sha256=${hmacHex(SECRET, body)}` });
    await expectInvalid(hook, { 'x-hub-signature-256': `sha256=${hmacHex('wrong-secret', body)}` });
    // The same JSON re-serialized is not the signed body.
    await expectInvalid(hook, {
      'x-hub-signature-256': `sha256=${hmacHex(SECRET, JSON.stringify(JSON.parse(body)))}`,
    });
    await expectInvalid(hook, { 'x-hub-signature-256': 'sha256=nothex' });
    const webhook = await webhookRow(hook.id);
    assert.equal(webhook.total_delivery_count, 4);
    assert.equal(webhook.failed_delivery_count, 3);
    assert.equal(webhook.last_delivery_status, 'failed');
  });

  test('Stripe-Signature with several v1 values and a 5-minute tolerance', async () => {
    const hook = await createWebhook();
    const ts = now();
    const good = hmacHex(SECRET, `${ts}.${body}`);
    const old = hmacHex('rotated-out', `${ts}.${body}`);
    await expectValid(hook.token, { 'stripe-signature': `t=${ts},v1=${old},v1=${good}` });
    await expectInvalid(hook, { 'stripe-signature': `t=${ts},v1=${old}` });
    const stale = ts - 600;
    await expectInvalid(hook, { 'stripe-signature': `t=${stale},v1=${hmacHex(SECRET, `${stale}.${body}`)}` });
    await expectInvalid(hook, { 'stripe-signature': 'garbage' });
  });

  test('Standard Webhooks with a whsec_ secret', async () => {
    const key = randomBytes(24);
    const secret = `whsec_${key.toString('base64')}`;
    const hook = await createWebhook({ secret });
    const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    const ts = now();
    const sign = (k: string | Buffer, timestamp = ts) => ({
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': `v1,${hmacB64(k, `${id}.${timestamp}.${body}`)}`,
    });
    await expectValid(hook.token, sign(key));
    await expectInvalid(hook, sign(secret));
    await expectInvalid(hook, sign(key, ts - 301));
    await expectInvalid(hook, { ...sign(key), 'webhook-id': 'msg_replayed_under_another_id' });
  });

  test('WEBHOOK_REQUIRE_SIGNATURE refuses unsigned deliveries (recorded as invalid)', async () => {
    const config = loadConfig(testEnv(t.db, { ...BASE_ENV, WEBHOOK_REQUIRE_SIGNATURE: 'true' }));
    const strict = await buildApp(config, { logger: false });
    try {
      const hook = await createWebhook();
      const response = await trigger(strict, hook.token, body);
      assert.equal(response.status, 401);
      assert.equal(response.body.code, 'WEBHOOK_SIGNATURE_INVALID');
      const rows = await deliveriesOf(hook.id);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].signature_valid, false);
      const signed = await trigger(strict, hook.token, body, {
        'x-hub-signature-256': `sha256=${hmacHex(SECRET, body)}`,
      });
      assert.equal(signed.status, 202);
    } finally {
      await strict.close();
    }
  });
});

describe('limits', () => {
  test(`a body over WEBHOOK_MAX_BODY_KB (${MAX_BODY_KB}) is 413 and records nothing`, async () => {
    const hook = await createWebhook();
    const big = JSON.stringify({ data: 'x'.repeat(MAX_BODY_KB * 1024) });
    const response = await trigger(t.app, hook.token, big);
    assert.equal(response.status, 413);
    assert.equal(response.body.code, 'PAYLOAD_TOO_LARGE');
    const fits = await trigger(
      t.app,
      hook.token,
      JSON.stringify({ data: 'x'.repeat(MAX_BODY_KB * 1024 - 20) }),
    );
    assert.equal(fits.status, 202);
    assert.equal((await deliveriesOf(hook.id)).length, 1);
  });

  test('an announced oversized body is refused before it is sent', async () => {
    // Over a real socket, on an app of its own (listening starts a job worker; this one's database has no jobs).
    const own = await startTestApp(BASE_ENV);
    const ownDb = new pg.Client({ connectionString: own.db.directUrl });
    await ownDb.connect();
    const token = randomBytes(32).toString('base64url');
    await ownDb.query(
      `INSERT INTO functions (name, code, owner_id) SELECT 'f', 'x', id FROM users WHERE email = $1`,
      [ADMIN.email],
    );
    await ownDb.query(
      `INSERT INTO webhooks (function_id, owner_id, name, webhook_token, secret_key)
       SELECT id, owner_id, 'h', $1, 's' FROM functions`,
      [token],
    );
    await ownDb.end();
    const hook = { token };
    const address = await own.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
        if (text.includes('\r\n\r\n') && text.includes('}')) {
          resolve(text);
          socket.destroy();
        }
      });
      socket.on('error', reject);
      // Headers only: the 100 MiB body never comes.
      socket.write(
        `POST /webhooks/trigger/${hook.token} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${100 * 1024 * 1024}\r\n\r\n{"a":`,
      );
      setTimeout(() => reject(new Error(`no answer: ${text}`)), 20_000).unref();
    });
    await own.close();
    assert.match(answer, /^HTTP\/1\.1 413/);
    assert.match(answer, /PAYLOAD_TOO_LARGE/);
  });

  test('rate_limit_per_minute: 429 with Retry-After past the limit, exact across two backend processes', async () => {
    const hook = await createWebhook({ rateLimit: 3 });
    const second = await buildApp(loadConfig(testEnv(t.db, BASE_ENV)), {
      logger: false,
    });
    try {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => trigger(i % 2 ? second : t.app, hook.token, `{"n":${i}}`)),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [202, 202, 202, 429, 429, 429, 429, 429, 429, 429]);
      const refused = results.find((r) => r.status === 429)!;
      assert.equal(refused.body.code, 'RATE_LIMITED');
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, String(refused.headers['retry-after']));
      assert.equal((await deliveriesOf(hook.id)).length, 3, 'refused deliveries are not recorded or run');
      assert.equal((await webhookRow(hook.id)).total_delivery_count, 3);
    } finally {
      await second.close();
    }
  });
});

describe('manual retry', () => {
  test('queues the stored body again: retry_count and delivery_attempt incremented (WebhookDeliveryRead)', async () => {
    const hook = await createWebhook({ retryAttempts: 2, retryDelaySeconds: 5 });
    const accepted = await trigger(t.app, hook.token, '{"order":7}');
    const id = accepted.body.delivery_id as string;
    const busy = await call(t.app, 'POST', `/webhooks/deliveries/${id}/retry`, { token: adminToken });
    assert.equal(busy.status, 409, 'still queued');
    assert.equal(busy.body.code, 'CONFLICT');
    await db.query(
      `UPDATE webhook_deliveries SET status = 'failed', error_message = 'boom', processing_completed_at = now()
       WHERE id = $1`,
      [id],
    );
    await db.query('DELETE FROM selfdb.function_jobs WHERE webhook_delivery_id = $1', [id]);
    const retried = await call(t.app, 'POST', `/webhooks/deliveries/${id}/retry`, { token: adminToken });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.id, id);
    assert.equal(retried.body.status, 'queued');
    assert.equal(retried.body.retry_count, 1);
    assert.equal(retried.body.delivery_attempt, 2);
    assert.equal(retried.body.error_message, null);
    assert.deepEqual(retried.body.request_body, { order: 7 });
    for (const field of ['webhook_id', 'function_id', 'source_ip', 'request_headers', 'signature_valid']) {
      assert.ok(field in retried.body, field);
    }
    const jobs = await jobsOf(id);
    assert.equal(jobs.length, 1);
    assert.deepEqual(jobs[0].payload, { order: 7 });
    assert.equal(jobs[0].max_attempts, 2);
    assert.equal(jobs[0].retry_delay_seconds, 5);
  });

  test('404 unknown or malformed id, 401 without a token, 403 for a user; invalid signatures are never run', async () => {
    const unknown = await call(t.app, 'POST', `/webhooks/deliveries/${crypto.randomUUID()}/retry`, {
      token: adminToken,
    });
    assert.equal(unknown.status, 404);
    const malformed = await call(t.app, 'POST', '/webhooks/deliveries/not-a-uuid/retry', {
      token: adminToken,
    });
    assert.equal(malformed.status, 404);
    const hook = await createWebhook();
    const forged = await trigger(t.app, hook.token, '{}', {
      'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
    });
    assert.equal(forged.status, 401);
    const [row] = await deliveriesOf(hook.id);
    const anonymous = await call(t.app, 'POST', `/webhooks/deliveries/${row.id}/retry`);
    assert.equal(anonymous.status, 401);
    const user = await registerUser(t.app, `u${randomBytes(4).toString('hex')}@example.com`);
    const asUser = await call(t.app, 'POST', `/webhooks/deliveries/${row.id}/retry`, {
      token: user.access_token,
    });
    assert.equal(asUser.status, 403);
    const refused = await call(t.app, 'POST', `/webhooks/deliveries/${row.id}/retry`, { token: adminToken });
    assert.equal(refused.status, 409);
    assert.equal((await jobsOf(row.id)).length, 0);
    assert.equal((await delivery(row.id)).retry_count, 0);
  });
});

// With the real job worker (it runs once the backend listens) and the real Deno runtime.
describe('end to end: the queue runs the function', () => {
  const SERVICE_KEY = 'webhooks-e2e-functions-service-key-0123456789';
  let runtime: FunctionsRuntime;
  let e: TestApp;
  let token: string;
  let edb: pg.Client;

  before(async () => {
    runtime = await startFunctionsRuntime({ serviceKey: SERVICE_KEY });
    e = await startTestApp({
      FUNCTIONS_INTERNAL_PORT: new URL(runtime.url).port,
      FUNCTIONS_SERVICE_KEY: SERVICE_KEY,
    });
    await e.app.listen({ port: 0, host: '127.0.0.1' });
    token = (await login(e.app, ADMIN.email, ADMIN.password)).access_token;
    edb = new pg.Client({ connectionString: e.db.directUrl });
    await edb.connect();
  });

  after(async () => {
    await edb?.end();
    await e?.close();
    await runtime?.close();
  });

  const api = async (method: string, url: string, body?: unknown) => {
    const response = await call(e.app, method, url, { token, ...(body !== undefined && { body }) });
    assert.ok(response.status < 300, `${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };

  /** A deployed function with a webhook on it, through the API. */
  async function deployWithWebhook(name: string, code: string, hook: Record<string, unknown> = {}) {
    const fn = await api('POST', '/functions/', { name, code, timeout_seconds: 10 });
    await api('POST', `/functions/${fn.id}/deploy`);
    const webhook = await api('POST', '/webhooks/', {
      function_id: fn.id,
      name: `${name}-hook`,
      secret_key: SECRET,
      ...hook,
    });
    return { functionId: String(fn.id), webhookId: String(webhook.id), token: String(webhook.webhook_token) };
  }

  /** Reads the delivery (through the API) until `done` says so. */
  async function waitForDelivery(
    webhookId: string,
    deliveryId: string,
    done: (d: Record<string, unknown>) => boolean,
  ) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const list = await api('GET', `/webhooks/${webhookId}/deliveries`);
      const found = (list.deliveries as Record<string, unknown>[]).find((d) => d.id === deliveryId);
      if (found && done(found)) return found;
      if (Date.now() > deadline) throw new Error(`delivery never finished: ${JSON.stringify(found)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const executions = async (functionId: string) =>
    (
      await edb.query(
        'SELECT status, trigger_type, webhook_delivery_id, started_at FROM function_executions WHERE function_id = $1 ORDER BY started_at',
        [functionId],
      )
    ).rows;

  test('a signed delivery runs the function with its body and ends completed; counters follow', async () => {
    const hook = await deployWithWebhook(
      'echo-hook',
      'export default async function (request, context) { const body = await request.json(); return { got: body, method: request.method }; }',
    );
    const body = '{"ref":"refs/heads/main","commits":[1,2]}';
    const accepted = await trigger(e.app, hook.token, body, {
      'x-hub-signature-256': `sha256=${hmacHex(SECRET, body)}`,
    });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.function, 'echo-hook');
    const done = await waitForDelivery(
      hook.webhookId,
      accepted.body.delivery_id,
      (d) => d.status === 'completed',
    );
    assert.deepEqual(done.execution_result, {
      got: { ref: 'refs/heads/main', commits: [1, 2] },
      method: 'POST',
    });
    assert.equal(done.signature_valid, true);
    assert.equal(done.delivery_attempt, 1);
    assert.ok(done.function_execution_id);
    const runs = await executions(hook.functionId);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, 'completed');
    assert.equal(runs[0].trigger_type, 'webhook');
    assert.equal(runs[0].webhook_delivery_id, accepted.body.delivery_id);
    const webhook = await api('GET', `/webhooks/${hook.webhookId}`);
    assert.equal(webhook.total_delivery_count, 1);
    assert.equal(webhook.successful_delivery_count, 1);
    assert.equal(webhook.last_delivery_status, 'completed');

    // Manual retry: the same body runs again as attempt 2.
    const retried = await api('POST', `/webhooks/deliveries/${accepted.body.delivery_id}/retry`);
    assert.equal(retried.retry_count, 1);
    assert.equal(retried.delivery_attempt, 2);
    const again = await waitForDelivery(
      hook.webhookId,
      accepted.body.delivery_id,
      (d) => d.status === 'completed' && d.delivery_attempt === 2,
    );
    assert.deepEqual(again.execution_result, done.execution_result);
    assert.notEqual(again.function_execution_id, done.function_execution_id);
    assert.equal((await executions(hook.functionId)).length, 2);
  });

  test('a throwing function is retried with backoff and ends failed after retry_attempts', async () => {
    const hook = await deployWithWebhook(
      'throws-hook',
      'export default async function () { throw new Error("upstream is down"); }',
      { retry_attempts: 3, retry_delay_seconds: 1 },
    );
    const accepted = await trigger(e.app, hook.token, '{"n":1}');
    assert.equal(accepted.status, 202);
    const failed = await waitForDelivery(
      hook.webhookId,
      accepted.body.delivery_id,
      (d) => d.status === 'failed',
    );
    assert.equal(failed.delivery_attempt, 3);
    assert.equal(failed.retry_count, 2);
    assert.match(String(failed.error_message), /upstream is down/);
    const runs = await executions(hook.functionId);
    assert.equal(runs.length, 3);
    assert.ok(runs.every((r) => r.status === 'failed' && r.trigger_type === 'webhook'));
    // Backoff: 1 s, then 2 s (lower bounds only).
    const [first, second] = runs
      .slice(1)
      .map((r, i) => r.started_at.getTime() - runs[i].started_at.getTime());
    assert.ok(first! >= 900, `first retry after ${first} ms`);
    assert.ok(second! >= 1900, `second retry after ${second} ms`);
    const webhook = await api('GET', `/webhooks/${hook.webhookId}`);
    assert.equal(webhook.failed_delivery_count, 1);
    assert.equal(webhook.successful_delivery_count, 0);
    assert.equal(webhook.last_delivery_status, 'failed');
    assert.equal((await jobsOfIn(edb, accepted.body.delivery_id)).length, 0, 'no job left');
  });
});

const jobsOfIn = async (client: pg.Client, deliveryId: string) =>
  (await client.query('SELECT * FROM selfdb.function_jobs WHERE webhook_delivery_id = $1', [deliveryId]))
    .rows;
