// GET /metrics of the storage service (docs/metrics.md): requests by route pattern (never a bucket or file
// name), file bytes received and sent, behind METRICS_TOKEN instead of the service key; off (404) without it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parsePrometheusText, sampleValue } from '../../scripts/lib/prometheus-text.ts';
import { KEY, request, startStorage, type TestStorage } from './helpers.ts';

const TOKEN = 'storage-metrics-token-0123456789';

async function scrape(s: TestStorage) {
  const response = await request(s.app, 'GET', '/metrics', {
    key: null,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(response.status, 200);
  const text = response.bytes.toString('utf8');
  return { text, ...parsePrometheusText(text) };
}

describe('storage GET /metrics with METRICS_TOKEN', () => {
  let s: TestStorage;
  before(async () => {
    s = await startStorage(KEY, {}, TOKEN);
  });
  after(() => s?.close());

  test('counts requests by route pattern and the file bytes in and out', async () => {
    const before = await scrape(s);
    const received = sampleValue(before.samples, 'storage_bytes_received_total');
    const sent = sampleValue(before.samples, 'storage_bytes_sent_total');
    assert.equal(
      (await request(s.app, 'POST', '/api/v1/buckets', { body: { name: 'metered' } })).status,
      201,
    );
    const one = randomBytes(1000);
    const two = randomBytes(2345);
    for (const [path, body] of [
      ['dir/secret-name-1.bin', one],
      ['secret-name-2.bin', two],
    ] as const) {
      assert.equal((await request(s.app, 'PUT', `/api/v1/files/metered/${path}`, { body })).status, 201);
    }
    for (let i = 0; i < 2; i++) {
      const read = await request(s.app, 'GET', '/api/v1/files/metered/secret-name-2.bin');
      assert.equal(read.status, 200);
      assert.equal(read.bytes.length, two.length);
    }
    assert.equal((await request(s.app, 'GET', '/api/v1/files/metered/missing.bin')).status, 404);

    const after = await scrape(s);
    assert.equal(after.types.get('storage_bytes_received_total'), 'counter');
    assert.equal(sampleValue(after.samples, 'storage_bytes_received_total') - received, 1000 + 2345);
    assert.equal(sampleValue(after.samples, 'storage_bytes_sent_total') - sent, 2 * 2345);
    const reads = { route: '/api/v1/files/:bucket/*', method: 'GET' };
    assert.equal(sampleValue(after.samples, 'http_requests_total', { ...reads, status_class: '2xx' }), 2);
    assert.equal(sampleValue(after.samples, 'http_requests_total', { ...reads, status_class: '4xx' }), 1);
    assert.equal(
      sampleValue(after.samples, 'http_request_duration_seconds_count', { ...reads, status_class: '2xx' }),
      2,
    );
    for (const name of ['metered', 'secret-name']) assert.ok(!after.text.includes(name), name);
    assert.ok(after.samples.every((sample) => sample.labels.service === 'storage'));
  });

  test('refuses a missing or wrong token with 401; the service key is not enough', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }] as Record<
      string,
      string
    >[]) {
      const response = await request(s.app, 'GET', '/metrics', { headers });
      assert.equal(response.status, 401);
      assert.deepEqual(response.json, { detail: 'Invalid metrics token', code: 'INVALID_TOKEN' });
    }
  });
});

describe('storage GET /metrics without METRICS_TOKEN', () => {
  let s: TestStorage;
  before(async () => {
    s = await startStorage();
  });
  after(() => s?.close());

  test('answers 404', async () => {
    const response = await request(s.app, 'GET', '/metrics', {
      key: null,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(response.status, 404);
    assert.deepEqual(response.json, { detail: 'Not Found', code: 'NOT_FOUND' });
  });
});
