// GET /metrics of the realtime service (docs/metrics.md): sockets, channels and topics joined, live deliveries,
// replays and slow-consumer drops as a Prometheus parser reads them, requests by path (never a raw URL), behind
// METRICS_TOKEN; off (404) without it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { parsePrometheusText, type Sample, sampleValue } from '../../scripts/lib/prometheus-text.ts';
import {
  connectSql,
  createTable,
  createTestDatabase,
  createUser,
  RawClient,
  sleep,
  socketUrl,
  startRealtime,
  type TestDatabase,
  type TestRealtime,
  type TestUser,
  waitUntil,
} from './helpers.ts';

const TOKEN = 'realtime-metrics-token-0123456789';

let db: TestDatabase;
let sql: pg.Client;
let owner: TestUser;
const open: RawClient[] = [];

before(async () => {
  db = await createTestDatabase();
  sql = await connectSql(db);
  owner = await createUser(sql, 'USER');
  await createTable(sql, 'metered', owner, { public: true });
});

after(async () => {
  for (const client of open) client.close();
  await sql?.end();
});

const httpBase = (realtime: TestRealtime) => `http://127.0.0.1:${realtime.port}`;

async function scrape(realtime: TestRealtime): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(`${httpBase(realtime)}/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, samples: parsePrometheusText(text).samples };
}

async function client(realtime: TestRealtime): Promise<RawClient> {
  const c = await RawClient.open(socketUrl(realtime.base));
  open.push(c);
  return c;
}

describe('realtime GET /metrics with METRICS_TOKEN', () => {
  let realtime: TestRealtime;
  before(async () => {
    realtime = await startRealtime(db, { METRICS_TOKEN: TOKEN });
  });
  after(() => realtime?.close());

  test('sockets, channels, deliveries and replays move with what clients do', async () => {
    const before = await scrape(realtime);
    assert.equal(sampleValue(before.samples, 'realtime_sockets'), 0);
    const first = await client(realtime);
    const second = await client(realtime);
    assert.equal((await first.join('table:metered')).payload.status, 'ok');
    assert.equal((await second.join('table:metered')).payload.status, 'ok');
    await sql.query(`INSERT INTO metered (label) SELECT 'a' || i FROM generate_series(1, 3) AS i`);
    await first.waitForChanges('table:metered', 3, 20_000);
    const seen = await second.waitForChanges('table:metered', 3, 20_000);

    const live = await scrape(realtime);
    assert.equal(sampleValue(live.samples, 'realtime_sockets'), 2);
    assert.equal(sampleValue(live.samples, 'realtime_channels'), 2);
    assert.equal(sampleValue(live.samples, 'realtime_topics'), 1);
    const delivered = sampleValue(live.samples, 'realtime_deliveries_total');
    assert.equal(delivered - sampleValue(before.samples, 'realtime_deliveries_total'), 6);
    assert.ok(live.samples.some((s) => s.name === 'db_pool_connections' && s.labels.pool === 'direct'));

    // The second socket leaves, misses four changes and resumes from its last seq: they come by replay.
    const lastSeq = seen.at(-1)!.payload.seq as number;
    second.close();
    await waitUntil(() => realtime.service.hub.connections.size === 1, 'the socket to close', 20_000);
    await sql.query(`INSERT INTO metered (label) SELECT 'b' || i FROM generate_series(1, 4) AS i`);
    await first.waitForChanges('table:metered', 7, 20_000);
    const third = await client(realtime);
    await third.join('table:metered', { last_seq: lastSeq });
    await third.waitForChanges('table:metered', 4, 20_000);
    await sleep(100);

    const resumed = await scrape(realtime);
    assert.equal(sampleValue(resumed.samples, 'realtime_sockets'), 2);
    assert.ok(sampleValue(resumed.samples, 'realtime_replays_total') >= 1);
    assert.equal(
      sampleValue(resumed.samples, 'realtime_replayed_changes_total') -
        sampleValue(live.samples, 'realtime_replayed_changes_total'),
      4,
    );
    assert.equal(sampleValue(resumed.samples, 'realtime_deliveries_total') - delivered, 4);
    assert.equal(sampleValue(resumed.samples, 'realtime_dropped_sockets_total'), 0);
  });

  test('counts requests by path; random paths of a scanner share one label', async () => {
    const random = Array.from({ length: 10 }, () => `/scan-${randomBytes(6).toString('hex')}`);
    for (const path of random) assert.equal((await fetch(`${httpBase(realtime)}${path}`)).status, 404);
    assert.equal((await fetch(`${httpBase(realtime)}/health`)).status, 200);
    const { text, samples } = await scrape(realtime);
    const health = { route: '/health', method: 'GET', status_class: '2xx' };
    assert.ok(sampleValue(samples, 'http_requests_total', health) >= 1);
    assert.ok(sampleValue(samples, 'http_request_duration_seconds_count', health) >= 1);
    const unmatched = { route: 'unmatched', method: 'GET', status_class: '4xx' };
    assert.equal(sampleValue(samples, 'http_requests_total', unmatched), 10);
    for (const path of random) assert.ok(!text.includes(path), path);
    assert.ok(samples.every((s) => s.labels.service === 'realtime'));
  });

  test('refuses a missing or wrong token with 401', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }] as Record<
      string,
      string
    >[]) {
      const response = await fetch(`${httpBase(realtime)}/metrics`, { headers });
      assert.equal(response.status, 401);
      assert.deepEqual(await response.json(), { detail: 'Invalid metrics token', code: 'INVALID_TOKEN' });
    }
  });
});

describe('realtime slow consumers in /metrics', () => {
  test('a socket closed as a slow consumer is counted as a drop', async () => {
    const small = await startRealtime(db, { METRICS_TOKEN: TOKEN, REALTIME_SEND_BUFFER_BYTES: '65536' });
    try {
      const slow = await client(small);
      const fast = await client(small);
      await slow.join('table:metered');
      await fast.join('table:metered');
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      for (let i = 0; i < 10; i++) {
        await sql.query(`INSERT INTO metered (label) SELECT repeat('y', 20000) FROM generate_series(1, 50)`);
      }
      await fast.waitForChanges('table:metered', 500, 60_000);
      await waitUntil(() => small.service.hub.connections.size === 1, 'the slow socket to close', 30_000);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const { samples } = await scrape(small);
      assert.equal(sampleValue(samples, 'realtime_dropped_sockets_total'), 1);
      assert.equal(sampleValue(samples, 'realtime_sockets'), 1);
    } finally {
      await small.close();
    }
  });
});

describe('realtime GET /metrics without METRICS_TOKEN', () => {
  test('answers 404', async () => {
    const realtime = await startRealtime(db);
    try {
      const response = await fetch(`${httpBase(realtime)}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(response.status, 404);
      assert.deepEqual(await response.json(), { detail: 'Not Found', code: 'NOT_FOUND' });
    } finally {
      await realtime.close();
    }
  });
});
