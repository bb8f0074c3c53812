// Delivery: row filters, resume from last_seq (exact replay, then live), resync_required, seq order when
// transactions commit out of order, gaps from rollbacks, a slow consumer, 10,000 joins on one socket, and two
// service instances on one database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  committedSeqs,
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
} from './helpers.ts';

let db: TestDatabase;
let realtime: TestRealtime;
let sql: pg.Client;
let owner: TestUser;
let admin: TestUser;
const open: RawClient[] = [];

before(async () => {
  db = await createTestDatabase();
  sql = await connectSql(db);
  owner = await createUser(sql, 'USER');
  admin = await createUser(sql, 'ADMIN');
  await createTable(sql, 'events', owner, { public: true });
  await sql.query('CREATE TABLE plain (id serial PRIMARY KEY, x int)');
  realtime = await startRealtime(db);
});

after(async () => {
  for (const client of open) client.close();
  await realtime?.close();
  await sql?.end();
});

async function client(base = realtime.base, token?: string): Promise<RawClient> {
  const c = await RawClient.open(socketUrl(base, { token }));
  open.push(c);
  return c;
}

const seqsOf = (frames: { payload: Record<string, unknown> }[]) => frames.map((f) => f.payload.seq as number);

describe('filters', () => {
  test('only matching changes arrive; an UPDATE counts when its new or old row matches', async () => {
    const c = await client();
    const joined = await c.join('table:events', { filter: 'n=gt.10' });
    assert.equal(joined.payload.status, 'ok');
    assert.equal((joined.payload.response as { filter: string }).filter, 'n=gt.10');
    await sql.query(`INSERT INTO events (label, n) VALUES ('low', 1), ('high', 11)`);
    await sql.query(`UPDATE events SET n = 12 WHERE label = 'low'`);
    await sql.query(`UPDATE events SET n = 2 WHERE label = 'high'`);
    await sql.query(`DELETE FROM events WHERE label = 'low'`);
    await sql.query(`DELETE FROM events WHERE label = 'high'`);
    await c.waitForChanges('table:events', 4);
    await sleep(100);
    assert.deepEqual(
      c
        .changes('table:events')
        .map((f) => [f.event, (f.payload.new ?? f.payload.old) as { label: string }])
        .map(([event, row]) => `${event}:${(row as { label: string }).label}`),
      ['insert:high', 'update:low', 'update:high', 'delete:low'],
    );
  });

  test('bad filters are refused with INVALID_FILTER and a reason; the socket stays usable', async () => {
    const c = await client(realtime.base, admin.token);
    const bad: Array<[string, unknown, RegExp]> = [
      ['table:events', { filter: 'nosuch=eq.1' }, /column nosuch does not exist/],
      ['table:events', { filter: 'n=eq.abc' }, /not a valid value/],
      ['table:events', { filter: 'label;drop table events=eq.1' }, /column=operator\.value/],
      ['table:events', { filter: 'n=regex.1' }, /Invalid filter on 'n': regex\.1/],
      ['table:events', { filter: 42 }, /filter must be a string/],
      ['table:users', { filter: 'password=like.$argon%' }, /column password does not exist/],
    ];
    for (const [topic, payload, reason] of bad) {
      const reply = await c.join(topic, payload);
      const response = reply.payload.response as { code: string; reason: string };
      assert.equal(reply.payload.status, 'error', JSON.stringify(payload));
      assert.equal(response.code, 'INVALID_FILTER');
      assert.match(response.reason, reason);
    }
    assert.equal((await c.join('table:users', { filter: 'role=eq.ADMIN' })).payload.status, 'ok');
    assert.equal((await c.request('phoenix', 'heartbeat')).payload.status, 'ok');
    assert.equal((await sql.query(`SELECT to_regclass('public.events') IS NOT NULL AS ok`)).rows[0].ok, true);
  });
});

describe('resume', () => {
  test('rejoining with last_seq replays exactly what was missed, in order, then goes live', async () => {
    const first = await client();
    const joined = await first.join('table:events');
    await sql.query(`INSERT INTO events (label) SELECT 'a' || i FROM generate_series(1, 3) AS i`);
    const seen = await first.waitForChanges('table:events', 3);
    const lastSeq = seqsOf(seen).at(-1)!;
    first.close();
    await sql.query(`INSERT INTO events (label) SELECT 'b' || i FROM generate_series(1, 10) AS i`);
    await sql.query(`INSERT INTO plain (x) VALUES (1)`);

    const second = await client();
    const resumed = await second.join('table:events', { last_seq: lastSeq });
    assert.deepEqual(resumed.payload.response, { last_seq: lastSeq, realtime_enabled: true });
    await second.waitForChanges('table:events', 10);
    await sql.query(`INSERT INTO events (label) VALUES ('live')`);
    await second.waitForChanges('table:events', 11);
    await sleep(100);
    assert.deepEqual(seqsOf(second.changes('table:events')), await committedSeqs(sql, 'events', lastSeq));
    assert.ok((joined.payload.response as { last_seq: number }).last_seq < lastSeq);
  });

  test('a resume with a filter replays only matching changes; last_seq as a string works too', async () => {
    const start = Number((await sql.query(`SELECT max(seq) AS m FROM realtime.changes`)).rows[0].m);
    await sql.query(`INSERT INTO events (label, n) SELECT 'f' || i, i FROM generate_series(1, 20) AS i`);
    const c = await client();
    await c.join('table:events', { last_seq: String(start), filter: 'n=lte.5' });
    const got = await c.waitForChanges('table:events', 5);
    await sleep(100);
    assert.deepEqual(
      seqsOf(got),
      await committedSeqs(sql, 'events', start, `operation = 'INSERT' AND (new_row->>'n')::int <= 5`),
    );
  });

  test('a replay larger than a page and than the send buffer arrives whole, while live changes keep coming', async () => {
    const start = Number((await sql.query(`SELECT max(seq) AS m FROM realtime.changes`)).rows[0].m);
    await sql.query(`INSERT INTO events (label) SELECT repeat('x', 2000) FROM generate_series(1, 1500)`);
    const c = await client();
    await c.join('table:events', { last_seq: start });
    for (let i = 0; i < 20; i++) await sql.query(`INSERT INTO events (label) VALUES ('during replay')`);
    await c.waitForChanges('table:events', 1520, 20_000);
    await sleep(100);
    assert.deepEqual(seqsOf(c.changes('table:events')), await committedSeqs(sql, 'events', start));
  });

  test('resync_required when last_seq was pruned, or is unknown to this database; then live from now', async () => {
    const c = await client();
    const joined = await c.join('table:events');
    const position = (joined.payload.response as { last_seq: number }).last_seq;
    await sql.query(`SELECT realtime.prune_changes(INTERVAL '0 seconds', 1000000)`);
    const pruned = await c.join('table:events', { last_seq: 1 });
    const response = pruned.payload.response as { resync_required?: boolean; last_seq: number };
    assert.equal(pruned.payload.status, 'ok');
    assert.equal(response.resync_required, true);
    assert.ok(response.last_seq >= position);
    await sql.query(`INSERT INTO events (label) VALUES ('after resync')`);
    const [next] = await c
      .waitFor(() => c.changes('table:events').length > 0)
      .then(() => c.changes('table:events'));
    assert.ok((next!.payload.seq as number) > response.last_seq);

    const future = await c.join('table:events', { last_seq: 10_000_000_000 });
    assert.equal((future.payload.response as { resync_required?: boolean }).resync_required, true);
    const fine = await c.join('table:events', { last_seq: next!.payload.seq as number });
    assert.equal((fine.payload.response as { resync_required?: boolean }).resync_required, undefined);
  });
});

describe('order and gaps', () => {
  test('a change whose seq is smaller but commits later is delivered first, never skipped', async () => {
    const c = await client();
    await c.join('table:events');
    const early = new pg.Client({ connectionString: db.directUrl });
    const late = new pg.Client({ connectionString: db.directUrl });
    await early.connect();
    await late.connect();
    try {
      // `early` takes its transaction id first, then the larger seq; `late` takes the smaller seq and commits last.
      // A reader that trusted `txid < xmin` would pass early's seq and lose late's.
      await early.query('BEGIN');
      await early.query('INSERT INTO plain (x) VALUES (1)');
      await late.query('BEGIN');
      await late.query(`INSERT INTO events (label) VALUES ('smaller seq, commits last')`);
      await early.query(`INSERT INTO events (label) VALUES ('larger seq, commits first')`);
      await early.query('COMMIT');
      await sleep(300);
      assert.equal(c.changes('table:events').length, 0, 'nothing may pass the open smaller seq');
      await late.query('COMMIT');
      const got = await c.waitForChanges('table:events', 2);
      const seqs = seqsOf(got);
      assert.ok(seqs[0]! < seqs[1]!);
      assert.equal((got[0]!.payload.new as { label: string }).label, 'smaller seq, commits last');
    } finally {
      await early.end();
      await late.end();
    }
  });

  test('a rolled-back change leaves a gap that does not hold later changes, even with another transaction open', async () => {
    const c = await client();
    await c.join('table:events');
    const idle = new pg.Client({ connectionString: db.directUrl });
    await idle.connect();
    try {
      // An open transaction that holds a transaction id but never wrote a captured table holds nothing back.
      await idle.query('BEGIN');
      await idle.query('INSERT INTO plain (x) VALUES (2)');
      await sql.query('BEGIN');
      await sql.query(`INSERT INTO events (label) VALUES ('rolled back')`);
      await sql.query('ROLLBACK');
      await sql.query(`INSERT INTO events (label) VALUES ('after the gap')`);
      const started = Date.now();
      const [change] = await c.waitForChanges('table:events', 1, 3000);
      assert.equal((change!.payload.new as { label: string }).label, 'after the gap');
      assert.ok(Date.now() - started < 2000);
    } finally {
      await idle.query('ROLLBACK');
      await idle.end();
    }
  });
});

describe('limits', () => {
  test('a client that never reads is closed as a slow consumer (4008); others get everything', async () => {
    const small = await startRealtime(db, { REALTIME_SEND_BUFFER_BYTES: '65536' });
    try {
      const slow = await client(small.base);
      const fast = await client(small.base);
      await slow.join('table:events');
      await fast.join('table:events');
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      for (let i = 0; i < 10; i++) {
        await sql.query(`INSERT INTO events (label) SELECT repeat('y', 20000) FROM generate_series(1, 50)`);
      }
      await fast.waitForChanges('table:events', 500, 20_000);
      const deadline = Date.now() + 5000;
      while (small.service.hub.connections.size > 1 && Date.now() < deadline) await sleep(20);
      assert.equal(small.service.hub.connections.size, 1, 'the slow socket is gone');
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const closed = await slow.waitClosed();
      assert.ok(closed.code === 4008 || closed.code === 1006, String(closed.code));
      if (closed.code === 4008) assert.match(closed.reason, /slow consumer/);
    } finally {
      await small.close();
    }
  });

  test('10,000 joins from one socket: the first 100 succeed, the rest get TOO_MANY_CHANNELS; others unaffected', async () => {
    const flood = await client();
    const bystander = await client();
    await bystander.join('table:events');
    const tables = Array.from({ length: 10_000 }, (_, i) => `table:events_${i}`);
    await sql.query(
      `INSERT INTO tables (name, table_schema, public, owner_id) SELECT 'events_' || i, '{}', true, $1 FROM generate_series(0, 149) AS i`,
      [owner.id],
    );
    let answered = 0;
    flood.ws.on('message', () => answered++);
    for (let i = 0; i < tables.length; i++) flood.send(tables[i]!, 'phx_join', {}, String(i + 1));
    const deadline = Date.now() + 20_000;
    while (answered < tables.length && Date.now() < deadline) await sleep(20);
    const replies = flood.frames.filter((f) => f.event === 'phx_reply');
    const ok = replies.filter((f) => f.payload.status === 'ok');
    const refused = replies.filter(
      (f) => (f.payload.response as { code?: string }).code === 'TOO_MANY_CHANNELS',
    );
    assert.equal(ok.length, 100);
    assert.equal(refused.length, 9900);
    assert.equal((await flood.request('phoenix', 'heartbeat')).payload.status, 'ok');
    await sql.query(`INSERT INTO events (label) VALUES ('still flowing')`);
    await bystander.waitForChanges('table:events', 1);
  });

  test('two service instances on one database each serve their own sockets; a client moves between them', async () => {
    const second = await startRealtime(db);
    try {
      const onA = await client(realtime.base);
      const onB = await client(second.base);
      const joinedA = await onA.join('table:events');
      await onB.join('table:events');
      await sql.query(`INSERT INTO events (label) SELECT 'two ' || i FROM generate_series(1, 50) AS i`);
      await onA.waitForChanges('table:events', 50);
      await onB.waitForChanges('table:events', 50);
      assert.deepEqual(seqsOf(onA.changes('table:events')), seqsOf(onB.changes('table:events')));
      const lastSeq = seqsOf(onA.changes('table:events')).at(-1)!;
      onA.close();
      await sql.query(`INSERT INTO events (label) SELECT 'moved ' || i FROM generate_series(1, 10) AS i`);
      const moved = await client(second.base);
      await moved.join('table:events', { last_seq: lastSeq });
      await moved.waitForChanges('table:events', 10);
      await sleep(100);
      assert.deepEqual(seqsOf(moved.changes('table:events')), await committedSeqs(sql, 'events', lastSeq));
      assert.ok((joinedA.payload.response as { last_seq: number }).last_seq > 0);
    } finally {
      await second.close();
    }
  });

  test('a 200 KB row arrives whole (NOTIFY carries only its seq)', async () => {
    const c = await client();
    await c.join('table:events');
    await sql.query(`INSERT INTO events (label) VALUES (repeat('z', 200000))`);
    const [change] = await c.waitForChanges('table:events', 1);
    assert.equal((change!.payload.new as { label: string }).label.length, 200_000);
  });
});
