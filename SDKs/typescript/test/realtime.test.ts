// The SDK's realtime client against the real backend proxy and realtime service: subscribe, filters, automatic
// resume with last_seq after the connection drops, token refresh on expiry, resync and refused joins.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import WebSocket from 'ws';
import {
  API_KEY,
  committedSeqs as committedSeqsOf,
  createTable,
  createUser,
  signToken,
  sleep,
  startBackendWithRealtime,
  type TestBackendWithRealtime,
  type TestRealtime,
  type TestUser,
  waitUntil,
} from '../../../realtime/test/helpers.ts';
import {
  type ChangePayload,
  createRealtime,
  type RealtimeClient,
  RealtimeError,
  type RealtimeOptions,
  type WebSocketConstructor,
} from '../src/index.ts';

let stack: TestBackendWithRealtime;
let baseUrl: string;
let realtime: TestRealtime;
let sql: pg.Client;
let owner: TestUser;
const clients: RealtimeClient[] = [];

before(async () => {
  stack = await startBackendWithRealtime();
  ({ realtime, sql } = stack);
  baseUrl = `http://127.0.0.1:${stack.backendPort}`;
  owner = await createUser(sql, 'USER');
  await createTable(sql, 'todos', owner, { public: false });
});

after(async () => {
  for (const client of clients) client.disconnect();
  await stack?.close();
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

const committedSeqs = (after: number) => committedSeqsOf(sql, 'todos', after);

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
    (err: unknown) => err instanceof RealtimeError && err.code === 'NOT_AUTHENTICATED',
  );
  assert.equal(closed.length, 1);
  await assert.rejects(
    client.channel('table:todos', { filter: 'nosuch=eq.1' }).subscribe(),
    (err: unknown) => err instanceof RealtimeError && err.code === 'INVALID_FILTER',
  );
  client.disconnect();
  anonymous.disconnect();
});
