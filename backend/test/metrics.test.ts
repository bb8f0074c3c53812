// GET /metrics of the backend (issue 14, docs/metrics.md): Prometheus text a real parser accepts, requests counted
// by route pattern (never the raw URL: a scanner's random URLs share one label), the pools and the last backup;
// off (404) without METRICS_TOKEN, 401 without the right Bearer token, and absent from the OpenAPI document.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parsePrometheusText, sampleValue } from '../../scripts/lib/prometheus-text.ts';
import { type BackupsTestApp, startBackupsApp } from './backups-helpers.ts';
import { ADMIN, call, login, startTestApp, type TestApp } from './helpers.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

async function scrape(app: BackupsTestApp['app']) {
  const response = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return { text: response.body, ...parsePrometheusText(response.body) };
}

describe('GET /metrics with METRICS_TOKEN', () => {
  let t: BackupsTestApp;
  before(async () => {
    t = await startBackupsApp({ METRICS_TOKEN: TOKEN });
  });
  after(() => t?.close());

  test('counts requests by route pattern, method and status class, with latency histograms', async () => {
    const before = await scrape(t.app);
    const labels = { route: '/storage/buckets/:bucket_id', method: 'GET', status_class: '4xx' };
    const base = sampleValue(before.samples, 'http_requests_total', labels);
    const ids = Array.from({ length: 5 }, () => randomBytes(8).toString('hex'));
    const { access_token } = await login(t.app, ADMIN.email, ADMIN.password);
    for (const id of ids) {
      const answer = await call(t.app, 'GET', `/storage/buckets/${id}`, { token: access_token });
      assert.ok(answer.status >= 400 && answer.status < 500, `${answer.status}`);
    }
    for (let i = 0; i < 3; i++) assert.equal((await call(t.app, 'GET', '/health')).status, 200);
    const random = Array.from({ length: 20 }, () => `/scan-${randomBytes(6).toString('hex')}`);
    for (const url of random) assert.equal((await call(t.app, 'GET', url)).status, 404);

    const after = await scrape(t.app);
    assert.equal(after.types.get('http_requests_total'), 'counter');
    assert.equal(after.types.get('http_request_duration_seconds'), 'histogram');
    assert.equal(sampleValue(after.samples, 'http_requests_total', labels) - base, 5);
    const health = { route: '/health', method: 'GET', status_class: '2xx' };
    assert.ok(sampleValue(after.samples, 'http_requests_total', health) >= 3);
    assert.ok(sampleValue(after.samples, 'http_request_duration_seconds_count', health) >= 3);
    assert.ok(
      sampleValue(after.samples, 'http_request_duration_seconds_bucket', { ...health, le: '+Inf' }) >= 3,
    );
    assert.ok(sampleValue(after.samples, 'http_request_duration_seconds_sum', health) > 0);
    const unmatched = { route: 'unmatched', method: 'GET', status_class: '4xx' };
    assert.ok(sampleValue(after.samples, 'http_requests_total', unmatched) >= 20);
    // No raw URL, id or scanner path became a label.
    for (const value of [...ids, ...random]) assert.ok(!after.text.includes(value), value);
    assert.ok(after.samples.every((s) => s.labels.service === 'backend'));
  });

  test('reports the pools, the process and the last backup', async () => {
    const { access_token } = await login(t.app, ADMIN.email, ADMIN.password);
    const before = await scrape(t.app);
    assert.equal(sampleValue(before.samples, 'backup_last_success_timestamp_seconds'), 0);
    for (const pool of ['api', 'console']) {
      for (const name of ['db_pool_connections', 'db_pool_idle_connections', 'db_pool_waiting_clients']) {
        assert.ok(
          before.samples.some((s) => s.name === name && s.labels.pool === pool),
          `${name} ${pool}`,
        );
      }
    }
    assert.ok(sampleValue(before.samples, 'db_pool_connections', { pool: 'api' }) >= 1);
    assert.ok(before.types.has('process_cpu_user_seconds_total'));
    assert.ok(before.types.has('nodejs_eventloop_lag_seconds'));

    const started = Date.now() / 1000;
    const created = await call(t.app, 'POST', '/backups', { token: access_token });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const after = await scrape(t.app);
    const at = sampleValue(after.samples, 'backup_last_success_timestamp_seconds');
    assert.ok(at >= started - 1 && at <= Date.now() / 1000 + 1, `${at}`);
    assert.ok(sampleValue(after.samples, 'backup_last_duration_seconds') > 0);
  });

  test('refuses callers without the token, and needs no API key', async () => {
    const cases: [string, Record<string, string>][] = [
      ['no header', {}],
      ['wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef' }],
      ['token as basic', { authorization: `Basic ${TOKEN}` }],
      ['token with a suffix', { authorization: `Bearer ${TOKEN}x` }],
      [
        'the API key instead',
        { authorization: 'Bearer x', 'x-api-key': 'selfdb-test-api-key-0123456789abcdef' },
      ],
    ];
    for (const [name, headers] of cases) {
      const response = await t.app.inject({ method: 'GET', url: '/metrics', headers });
      assert.equal(response.statusCode, 401, name);
      assert.deepEqual(response.json(), { detail: 'Invalid metrics token', code: 'INVALID_TOKEN' }, name);
    }
  });

  test('is not part of the OpenAPI document', async () => {
    const doc = (await call(t.app, 'GET', '/openapi.json')).body as unknown as {
      paths: Record<string, unknown>;
    };
    assert.ok(Object.keys(doc.paths).length > 10);
    assert.equal(doc.paths['/metrics'], undefined);
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t?.close());

  test('answers 404, as if absent, whatever the caller presents', async () => {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }]) {
      const response = await t.app.inject({ method: 'GET', url: '/metrics', headers });
      assert.equal(response.statusCode, 404);
      assert.deepEqual(response.json(), { detail: 'Not Found', code: 'NOT_FOUND' });
    }
  });
});
