// The Phoenix Channels wire protocol as raw frames: V1 objects and V2 arrays, heartbeat, join/leave/reply/close,
// change pushes exactly as SelfDB 0.0.5 sent them (plus seq), the socket paths, and malformed input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import {
  API_KEY,
  connectSql,
  createTable,
  createTestDatabase,
  createUser,
  RawClient,
  socketUrl,
  startRealtime,
  type TestRealtime,
  type TestUser,
} from './helpers.ts';

let realtime: TestRealtime;
let sql: pg.Client;
let owner: TestUser;

before(async () => {
  const db = await createTestDatabase();
  sql = await connectSql(db);
  owner = await createUser(sql, 'USER');
  await createTable(sql, 'items', owner, { public: true });
  realtime = await startRealtime(db, { REALTIME_IDLE_TIMEOUT_SECONDS: '2' });
});

after(async () => {
  await realtime?.close();
  await sql?.end();
});

describe('HTTP', () => {
  test('GET /health answers {status: ok, service: realtime} once the feed listens', async () => {
    const response = await fetch(`http://127.0.0.1:${realtime.port}/health`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(body.service, 'realtime');
  });

  test('a plain GET on a socket path is 404 with the error body, other paths too', async () => {
    for (const path of ['/socket/websocket', '/realtime/socket', '/nope']) {
      const response = await fetch(`http://127.0.0.1:${realtime.port}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { code: string }).code, 'NOT_FOUND');
    }
  });
});

describe('V2 frames (vsn=2.0.0)', () => {
  test('heartbeat on topic phoenix gets an ok reply with the same ref', async () => {
    const client = await RawClient.open(socketUrl(realtime.base));
    try {
      const ref = client.send('phoenix', 'heartbeat', {});
      const reply = await client.waitFor((f) => f.ref === ref);
      assert.deepEqual(reply, {
        joinRef: null,
        ref,
        topic: 'phoenix',
        event: 'phx_reply',
        payload: { status: 'ok', response: {} },
      });
    } finally {
      client.close();
    }
  });

  test('every socket path upgrades; an unknown one is refused with 404', async () => {
    for (const path of ['/socket', '/socket/websocket', '/realtime/socket', '/realtime/socket/websocket']) {
      const client = await RawClient.open(socketUrl(realtime.base, {}, path));
      client.close();
    }
    await assert.rejects(RawClient.open(socketUrl(realtime.base, {}, '/elsewhere/websocket')), {
      status: 404,
    });
  });

  test('an unsupported vsn is refused with 400', async () => {
    await assert.rejects(RawClient.open(socketUrl(realtime.base, { vsn: '3.0.0' })), { status: 400 });
  });

  test('join, insert/update/delete pushes as upstream plus seq, ping, leave, then nothing more', async () => {
    const client = await RawClient.open(socketUrl(realtime.base));
    try {
      const joined = await client.join('table:items');
      assert.equal(joined.payload.status, 'ok');
      assert.equal(joined.joinRef, joined.ref);
      const response = joined.payload.response as { last_seq: number };
      assert.equal(typeof response.last_seq, 'number');

      const { rows } = await sql.query(`INSERT INTO items (label, n) VALUES ('a', 1) RETURNING id`);
      await sql.query(`UPDATE items SET n = 2 WHERE id = $1`, [rows[0].id]);
      await sql.query(`DELETE FROM items WHERE id = $1`, [rows[0].id]);
      const [insert, update, remove] = await client.waitForChanges('table:items', 3);

      assert.equal(insert!.event, 'insert');
      assert.equal(insert!.ref, null);
      assert.equal(insert!.joinRef, joined.joinRef);
      assert.deepEqual(Object.keys(insert!.payload), ['event', 'table', 'new', 'old', 'seq']);
      assert.equal(insert!.payload.event, 'INSERT');
      assert.equal(insert!.payload.table, 'items');
      assert.equal((insert!.payload.new as { label: string }).label, 'a');
      assert.equal(insert!.payload.old, null);
      assert.equal(update!.event, 'update');
      assert.equal((update!.payload.old as { n: number }).n, 1);
      assert.equal((update!.payload.new as { n: number }).n, 2);
      assert.equal(remove!.event, 'delete');
      assert.equal(remove!.payload.new, null);
      assert.equal((remove!.payload.old as { n: number }).n, 2);
      const seqs = [insert, update, remove].map((f) => f!.payload.seq as number);
      assert.ok(seqs[0]! > response.last_seq && seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!, String(seqs));

      const pong = await client.request('table:items', 'ping', {}, joined.joinRef);
      assert.deepEqual(pong.payload, { status: 'ok', response: { message: 'pong' } });

      const left = await client.request('table:items', 'phx_leave', {}, joined.joinRef);
      assert.equal(left.payload.status, 'ok');
      await client.waitFor((f) => f.event === 'phx_close' && f.topic === 'table:items');
      await sql.query(`INSERT INTO items (label) VALUES ('after leave')`);
      await client.request('phoenix', 'heartbeat');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(client.changes('table:items').length, 3);
    } finally {
      client.close();
    }
  });
});

describe('V1 frames (no vsn, as SelfDB 0.0.5 clients)', () => {
  test('join and pushes are JSON objects with topic, event, payload, ref, join_ref', async () => {
    const url = new URL('/realtime/socket', realtime.base);
    url.searchParams.set('X-API-Key', API_KEY);
    const client = await RawClient.open(url.toString(), '1.0.0');
    const raw: unknown[] = [];
    client.ws.on('message', (data) => raw.push(JSON.parse(data.toString())));
    try {
      const joined = await client.join('table:items');
      assert.equal(joined.payload.status, 'ok');
      await sql.query(`INSERT INTO items (label) VALUES ('v1')`);
      await client.waitForChanges('table:items', 1);
      const push = raw.find((m) => (m as { event: string }).event === 'insert') as Record<string, unknown>;
      assert.deepEqual(Object.keys(push).sort(), ['event', 'join_ref', 'payload', 'ref', 'topic']);
      assert.equal(push.topic, 'table:items');
      assert.equal(push.ref, null);
      assert.equal(push.join_ref, joined.joinRef);
      const reply = raw.find((m) => (m as { event: string }).event === 'phx_reply') as Record<
        string,
        unknown
      >;
      const { status, response, ...extra } = reply.payload as {
        status: string;
        response: { last_seq?: unknown };
      };
      assert.equal(status, 'ok');
      assert.equal(typeof response.last_seq, 'number');
      assert.deepEqual(extra, {});
      assert.equal(reply.ref, joined.ref);
    } finally {
      client.close();
    }
  });
});

describe('no vsn: the first frame decides the format (SelfDB 0.0.5 clients)', () => {
  /** A socket opened as SelfDB 0.0.5's TypeScript SDK opens it: no vsn, `token=` empty when signed out. */
  async function openWithoutVsn(): Promise<{ client: RawClient; raw: string[] }> {
    const client = await RawClient.open(
      socketUrl(realtime.base, { vsn: undefined, token: '' }, '/realtime/socket'),
    );
    const raw: string[] = [];
    client.ws.on('message', (data) => raw.push(data.toString()));
    return { client, raw };
  }

  test('V2 arrays with join_ref null, as the 0.0.5 SDK sends them, are answered in arrays', async () => {
    const { client, raw } = await openWithoutVsn();
    try {
      client.ws.send(JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}]));
      client.ws.send(JSON.stringify([null, '2', 'table:items', 'phx_join', {}]));
      const joined = await client.waitFor((f) => f.ref === '2');
      assert.equal(joined.payload.status, 'ok', JSON.stringify(joined.payload));
      await sql.query(`INSERT INTO items (label) VALUES ('to a 0.0.5 SDK')`);
      const [push] = await client.waitForChanges('table:items', 1);
      const frames = raw.map((text) => JSON.parse(text) as unknown[]);
      assert.ok(
        frames.every((frame) => Array.isArray(frame) && frame.length === 5),
        raw.join('\n'),
      );
      assert.deepEqual(frames[0], [null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
      assert.deepEqual(frames[1]!.slice(0, 4), ['2', '2', 'table:items', 'phx_reply']);
      // What the SDK reads: the event name and {table, new, old}.
      assert.equal(push!.event, 'insert');
      assert.equal(push!.joinRef, '2');
      assert.equal((push!.payload.new as { label: string }).label, 'to a 0.0.5 SDK');
    } finally {
      client.close();
    }
  });

  const cases: Array<[string, string[], RegExp]> = [
    ['an object after arrays', ['[null,"1","phoenix","heartbeat",{}]', '{"topic":"phoenix"}'], /expected \[/],
    [
      'an array after objects',
      ['{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"1"}', '[]'],
      /\{"topic"/,
    ],
    ['a first frame that is neither', ['"hello"'], /expected \{"topic".*or \[join_ref/],
  ];
  for (const [name, frames, reason] of cases) {
    test(`${name} closes the socket with 1007`, async () => {
      const { client } = await openWithoutVsn();
      try {
        for (const frame of frames) client.ws.send(frame);
        const closed = await client.waitClosed();
        assert.equal(closed.code, 1007);
        assert.match(closed.reason, reason);
      } finally {
        client.close();
      }
    });
  }

  test('an explicit vsn is kept: arrays on a vsn=1.0.0 socket close it with 1007', async () => {
    const client = await RawClient.open(socketUrl(realtime.base, { vsn: '1.0.0' }));
    try {
      client.ws.send(JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}]));
      const closed = await client.waitClosed();
      assert.equal(closed.code, 1007);
      assert.match(closed.reason, /expected \{"topic"/);
    } finally {
      client.close();
    }
  });
});

describe('bad input', () => {
  const cases: Array<[string, (client: RawClient) => void, number, RegExp]> = [
    ['not JSON', (c) => c.ws.send('{nope'), 1007, /not JSON/],
    ['a V1 object on a V2 socket', (c) => c.ws.send('{"topic":"phoenix"}'), 1007, /expected \[join_ref/],
    ['an array of the wrong length', (c) => c.ws.send('[null,"1","phoenix"]'), 1007, /expected \[join_ref/],
    ['a topic that is not a string', (c) => c.ws.send('[null,"1",5,"heartbeat",{}]'), 1007, /topic/],
    [
      'an overlong ref',
      (c) => c.ws.send(JSON.stringify([null, 'r'.repeat(300), 'phoenix', 'heartbeat', {}])),
      1007,
      /ref/,
    ],
    ['a binary frame', (c) => c.ws.send(Buffer.from([1, 2, 3])), 1003, /binary/],
    [
      'a join payload nested 4,500 levels deep',
      (c) => c.ws.send(`[null,"1","table:items","phx_join",${'{"a":'.repeat(4500)}1${'}'.repeat(4500)}]`),
      1007,
      /nested deeper than 128 levels/,
    ],
    [
      'a V1 frame nested 5,000 levels deep',
      (c) =>
        c.ws.send(`{"topic":"phoenix","event":"heartbeat","payload":${'['.repeat(5000)}${']'.repeat(5000)}}`),
      1007,
      /nested deeper than 128 levels/,
    ],
  ];
  for (const [name, sendBad, code, reason] of cases) {
    test(`${name} closes the socket with ${code} and a reason; other sockets carry on`, async () => {
      const bystander = await RawClient.open(socketUrl(realtime.base));
      const client = await RawClient.open(socketUrl(realtime.base));
      try {
        sendBad(client);
        const closed = await client.waitClosed();
        assert.equal(closed.code, code);
        assert.match(closed.reason, reason);
        const reply = await bystander.request('phoenix', 'heartbeat');
        assert.equal(reply.payload.status, 'ok');
      } finally {
        client.close();
        bystander.close();
      }
    });
  }

  test('a frame over the size limit closes with 1009', async () => {
    const client = await RawClient.open(socketUrl(realtime.base));
    client.ws.send(JSON.stringify([null, '1', 'phoenix', 'heartbeat', { pad: 'x'.repeat(70_000) }]));
    assert.equal((await client.waitClosed()).code, 1009);
  });

  test('unknown topics, unknown events and events on unjoined topics get error replies', async () => {
    const client = await RawClient.open(socketUrl(realtime.base));
    try {
      const unmatched = await client.join('room:lobby');
      assert.deepEqual(unmatched.payload, {
        status: 'error',
        response: { reason: 'unmatched topic', code: 'NOT_FOUND' },
      });
      for (const topic of [
        'table:',
        'table:bad-name',
        'table:x;drop table users',
        `table:${'a'.repeat(64)}`,
      ]) {
        assert.equal((await client.join(topic)).payload.status, 'error', topic);
      }
      const notJoined = await client.request('table:items', 'ping');
      assert.equal((notJoined.payload.response as { reason: string }).reason, 'unmatched topic');
      const unknown = await client.request('phoenix', 'shutdown');
      assert.equal(unknown.payload.status, 'error');
      const joined = await client.join('table:items');
      const custom = await client.request('table:items', 'whatever', {}, joined.joinRef);
      assert.equal(custom.payload.status, 'error');
      const badPayload = await client.join('table:items', 'not an object');
      assert.equal(badPayload.payload.status, 'error');
      const badSeq = await client.join('table:items', { last_seq: -1 });
      assert.match((badSeq.payload.response as { reason: string }).reason, /last_seq/);
    } finally {
      client.close();
    }
  });

  test('a socket that sends nothing is closed after the idle timeout (4000)', async () => {
    const client = await RawClient.open(socketUrl(realtime.base));
    const closed = await client.waitClosed(6000);
    assert.equal(closed.code, 4000);
    assert.match(closed.reason, /idle/);
  });
});
