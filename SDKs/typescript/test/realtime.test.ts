// The SDK's realtime client against the real backend proxy and realtime service: subscribe, filters, automatic
// resume with last_seq after the connection drops, token refresh on expiry, resync and refused joins.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../../../backend/test/helpers.ts';
import {
  API_KEY,
  connectSql,
  createTable,
  createUser,
  signToken,
  sleep,
  startRealtime,
  type TestRealtime,
  type TestUser,
} from '../../../realtime/test/helpers.ts';
import { freePort } from '../../../scripts/lib/processes.ts';
import {
  type ChangePayload,
  createRealtime,
  type RealtimeClient,
  RealtimeError,
  type RealtimeOptions,
  type WebSocketConstructor,
} from '../src/index.ts';

let backend: TestApp;
let baseUrl: string;
let realtime: TestRealtime;
let sql: pg.Client;
let owner: TestUser;
const clients: RealtimeClient[] = [];

before(async () => {
  const realtimePort = await freePort();
  backend = await startTestApp({ REALTIME_URL: `http://127.0.0.1:${realtimePort}` });
  await backend.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(backend.app.server.address() as AddressInfo).port}`;
  sql = await connectSql(backend.db);
  owner = await createUser(sql, 'USER');
  await createTable(sql, 'todos', owner, { public: false });
  realtime = await startRealtime(backend.db, {}, realtimePort);
});

after(async () => {
  for (const client of clients) client.disconnect();
  await realtime?.close();
  await backend?.close();
  await sql?.end();
});

function connect(options: Partial<RealtimeOptions> = {}): RealtimeClient {
  const client = createRealtime({
    url: baseUrl,
    apiKey: API_KEY,
    accessToken: owner.token,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    reconnectDelayMs: () => 50,
    ...options,
  });
  clients.push(client);
  return client;
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function committedSeqs(after: number): Promise<number[]> {
  const { rows } = await sql.query<{ seq: number }>(
    `SELECT seq FROM realtime.changes WHERE table_name = 'todos' AND seq > $1 ORDER BY seq`,
    [after],
  );
  return rows.map((row) => Number(row.seq));
}

test('subscribe receives INSERT, UPDATE and DELETE with the upstream payload, per event and with *', async () => {
  const client = connect();
  const all: ChangePayload[] = [];
  const inserts: ChangePayload[] = [];
  const channel = client
    .channel('table:todos')
    .on('*', (change) => all.push(change))
    .on('INSERT', (change) => inserts.push(change));
  const joined = await channel.subscribe();
  assert.equal(channel.lastSeq, joined.last_seq);
  const { rows } = await sql.query(`INSERT INTO todos (label) VALUES ('write docs') RETURNING id`);
  await sql.query(`UPDATE todos SET label = 'write more docs' WHERE id = $1`, [rows[0].id]);
  await sql.query(`DELETE FROM todos WHERE id = $1`, [rows[0].id]);
  await waitUntil(() => all.length === 3, 'three changes');
  assert.deepEqual(
    all.map((change) => change.event),
    ['INSERT', 'UPDATE', 'DELETE'],
  );
  assert.equal(inserts.length, 1);
  assert.equal(all[1]!.old?.label, 'write docs');
  assert.equal(channel.lastSeq, all[2]!.seq);
  client.disconnect();
});

test('after the connection drops, it reconnects and resumes from last_seq: every change once, in order', async () => {
  const client = connect();
  const seen: number[] = [];
  const channel = client.channel('table:todos').on('*', (change) => seen.push(change.seq));
  const joined = await channel.subscribe();
  for (let round = 0; round < 3; round++) {
    await sql.query(
      `INSERT INTO todos (label) SELECT 'round ${round} ' || i FROM generate_series(1, 30) AS i`,
    );
    await sleep(20);
    for (const conn of realtime.service.hub.connections) conn.ws.terminate();
    await sql.query(
      `INSERT INTO todos (label) SELECT 'away ${round} ' || i FROM generate_series(1, 30) AS i`,
    );
  }
  await sql.query(`INSERT INTO todos (label) VALUES ('last')`);
  const expected = await committedSeqs(joined.last_seq);
  await waitUntil(
    () => seen.length >= expected.length,
    `${expected.length} changes (got ${seen.length})`,
    10_000,
  );
  await sleep(100);
  assert.deepEqual(seen, expected);
  client.disconnect();
});

test('a filter limits what arrives', async () => {
  const client = connect();
  const labels: string[] = [];
  await client
    .channel('table:todos', { filter: 'label=like.keep%' })
    .on('INSERT', (change) => labels.push(String(change.new?.label)))
    .subscribe();
  await sql.query(`INSERT INTO todos (label) VALUES ('keep me'), ('drop me'), ('keep too')`);
  await waitUntil(() => labels.length === 2, 'two matching inserts');
  await sleep(100);
  assert.deepEqual(labels, ['keep me', 'keep too']);
  client.disconnect();
});

test('when the token expires it sends a fresh one by itself, and nothing is missed', async () => {
  let token = await signToken(owner, 2);
  const client = connect({ accessToken: () => token });
  const seen: number[] = [];
  const channel = client.channel('table:todos').on('*', (change) => seen.push(change.seq));
  const joined = await channel.subscribe();
  token = owner.token;
  await sql.query(`INSERT INTO todos (label) VALUES ('before expiry')`);
  await sleep(2500);
  await sql.query(`INSERT INTO todos (label) SELECT 'after expiry ' || i FROM generate_series(1, 5) AS i`);
  const expected = await committedSeqs(joined.last_seq);
  await waitUntil(() => seen.length >= expected.length, 'every change', 5000);
  assert.deepEqual(seen, expected);
  client.disconnect();
});

test('a pruned last_seq calls onResync; a refused join rejects with RealtimeError', async () => {
  await sql.query(`SELECT realtime.prune_changes(INTERVAL '0 seconds', 1000000)`);
  const client = connect();
  const resyncs: number[] = [];
  const channel = client.channel('table:todos', { lastSeq: 1 }).onResync((lastSeq) => resyncs.push(lastSeq));
  const joined = await channel.subscribe();
  assert.equal(joined.resync_required, true);
  assert.deepEqual(resyncs, [joined.last_seq]);
  assert.equal(channel.lastSeq, joined.last_seq);

  const anonymous = connect({ accessToken: null });
  const closed: string[] = [];
  await assert.rejects(
    anonymous
      .channel('table:todos')
      .onClose((reason) => closed.push(reason))
      .subscribe(),
    (err: unknown) => err instanceof RealtimeError && err.code === 'NOT_FOUND',
  );
  assert.equal(closed.length, 1);
  await assert.rejects(
    client.channel('table:todos', { filter: 'nosuch=eq.1' }).subscribe(),
    (err: unknown) => err instanceof RealtimeError && err.code === 'INVALID_FILTER',
  );
  client.disconnect();
  anonymous.disconnect();
});
