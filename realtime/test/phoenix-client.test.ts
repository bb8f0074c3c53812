// The official `phoenix` npm client, unmodified, through the backend's /realtime/socket (the proxy) and straight to
// the service: V2 arrays (its default), V1 objects (its vsn/encode/decode options), its authToken subprotocol, and a
// rejoin after a dropped connection that resumes from last_seq through a params function.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { type Channel, Socket } from 'phoenix';
import WebSocket from 'ws';
import { call, startTestApp, type TestApp } from '../../backend/test/helpers.ts';
import { freePort } from '../../scripts/lib/processes.ts';
import {
  API_KEY,
  committedSeqs,
  createTable,
  createUser,
  RawClient,
  sleep,
  startBackendWithRealtime,
  type TestBackendWithRealtime,
  type TestRealtime,
  type TestUser,
  waitUntil,
} from './helpers.ts';

let stack: TestBackendWithRealtime;
let backend: TestApp;
let backendUrl: string;
let realtime: TestRealtime;
let sql: pg.Client;
let owner: TestUser;
const sockets: Socket[] = [];

type Change = {
  event: string;
  table: string;
  new: Record<string, unknown> | null;
  old: unknown;
  seq: number;
};

before(async () => {
  stack = await startBackendWithRealtime();
  ({ backend, realtime, sql } = stack);
  backendUrl = `ws://127.0.0.1:${stack.backendPort}`;
  owner = await createUser(sql, 'USER');
  await createTable(sql, 'notes', owner, { public: false });
});

after(async () => {
  for (const socket of sockets) socket.disconnect();
  await stack?.close();
});

function phoenixSocket(endpoint: string, options: Record<string, unknown> = {}): Socket {
  const socket = new Socket(endpoint, {
    transport: WebSocket as unknown as new (endpoint: string) => object,
    reconnectAfterMs: () => 50,
    rejoinAfterMs: () => 50,
    ...options,
  });
  sockets.push(socket);
  socket.connect();
  return socket;
}

function joinChannel(channel: Channel): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    channel
      .join()
      .receive('ok', (response: Record<string, unknown>) => resolve(response))
      .receive('error', (response: unknown) => reject(new Error(JSON.stringify(response))))
      .receive('timeout', () => reject(new Error('join timed out')));
  });
}

describe('the official phoenix client', () => {
  test('V2 through the backend /realtime/socket: join a private table as its owner, receive inserts, ping', async () => {
    const socket = phoenixSocket(`${backendUrl}/realtime/socket`, {
      params: { 'X-API-Key': API_KEY, token: owner.token },
    });
    const channel = socket.channel('table:notes', {});
    const received: Change[] = [];
    channel.on('insert', (payload: Change) => {
      received.push(payload);
    });
    const response = await joinChannel(channel);
    assert.equal(typeof response.last_seq, 'number');
    await sql.query(`INSERT INTO notes (label) VALUES ('through the proxy')`);
    await waitUntil(() => received.length === 1, 'the insert');
    assert.equal(received[0]!.event, 'INSERT');
    assert.equal(received[0]!.table, 'notes');
    assert.equal(received[0]!.new?.label, 'through the proxy');
    assert.ok(received[0]!.seq > (response.last_seq as number));
    const pong = await new Promise((resolve) => channel.push('ping', {}).receive('ok', resolve));
    assert.deepEqual(pong, { message: 'pong' });
    socket.disconnect();
  });

  test('V1 objects (vsn 1.0.0 with JSON object encode/decode), straight to the service', async () => {
    const socket = phoenixSocket(`${realtime.base}/socket`, {
      vsn: '1.0.0',
      params: { 'X-API-Key': API_KEY, token: owner.token },
      encode: (message: object, callback: (encoded: string) => void) => callback(JSON.stringify(message)),
      decode: (raw: string, callback: (decoded: unknown) => void) => callback(JSON.parse(raw)),
    });
    const channel = socket.channel('table:notes', {});
    const received: Change[] = [];
    channel.on('insert', (payload: Change) => {
      received.push(payload);
    });
    await joinChannel(channel);
    await sql.query(`INSERT INTO notes (label) VALUES ('v1')`);
    await waitUntil(() => received.length === 1, 'the insert');
    assert.equal(received[0]!.new?.label, 'v1');
    socket.disconnect();
  });

  test('authToken (the Sec-WebSocket-Protocol bearer) authenticates like ?token=', async () => {
    const socket = phoenixSocket(`${realtime.base}/socket`, {
      params: { 'X-API-Key': API_KEY },
      authToken: owner.token,
    });
    const response = await joinChannel(socket.channel('table:notes', {}));
    assert.equal(typeof response.last_seq, 'number');
    socket.disconnect();
  });

  test('after the service drops the connection, the client rejoins with last_seq and misses nothing', async () => {
    let lastSeq: number | undefined;
    const socket = phoenixSocket(`${backendUrl}/realtime/socket`, {
      params: { 'X-API-Key': API_KEY, token: owner.token },
    });
    // Channel params may be a function: each rejoin sends the last seq seen so far.
    const channel = socket.channel('table:notes', () => (lastSeq === undefined ? {} : { last_seq: lastSeq }));
    const seen: number[] = [];
    channel.on('insert', (payload: Change) => {
      seen.push(payload.seq);
      lastSeq = payload.seq;
    });
    const joined = await joinChannel(channel);
    lastSeq = joined.last_seq as number;
    let opens = 0;
    socket.onOpen(() => {
      opens++;
    });
    await sql.query(`INSERT INTO notes (label) SELECT 'before ' || i FROM generate_series(1, 5) AS i`);
    await waitUntil(() => seen.length === 5, 'the first five');
    for (const conn of realtime.service.hub.connections) conn.ws.terminate();
    await sql.query(`INSERT INTO notes (label) SELECT 'while away ' || i FROM generate_series(1, 20) AS i`);
    await waitUntil(() => opens > 0, 'the reconnect');
    await sql.query(`INSERT INTO notes (label) SELECT 'after ' || i FROM generate_series(1, 5) AS i`);
    await waitUntil(() => seen.length >= 30, 'all thirty', 10_000);
    await sleep(100);
    assert.deepEqual(seen, await committedSeqs(sql, 'notes', joined.last_seq as number));
    socket.disconnect();
  });
});

describe('SelfDB 0.0.5’s TypeScript SDK, as it talks', () => {
  // Its realtime module opens `<base>/realtime/socket?X-API-Key=<key>&token=<token or empty>` (no vsn), sends V2
  // arrays with join_ref null, and reads every frame as an array, a reply's status from payload.status.
  test('no vsn, V2 arrays through the backend: its join, heartbeat and pushes all work in arrays', async () => {
    for (const token of [owner.token, '']) {
      const client = await RawClient.open(
        `${backendUrl}/realtime/socket?X-API-Key=${API_KEY}&token=${token}`,
      );
      const raw: string[] = [];
      client.ws.on('message', (data) => raw.push(data.toString()));
      try {
        client.ws.send(JSON.stringify([null, '1', 'table:notes', 'phx_join', {}]));
        client.ws.send(JSON.stringify([null, '2', 'phoenix', 'heartbeat', {}]));
        const joined = await client.waitFor((f) => f.ref === '1');
        await client.waitFor((f) => f.ref === '2');
        if (token === '') {
          // Signed out: the private table asks for a token, in the SDK's format.
          assert.equal(joined.payload.status, 'error');
          assert.equal((joined.payload.response as { code: string }).code, 'NOT_AUTHENTICATED');
        } else {
          assert.equal(joined.payload.status, 'ok', JSON.stringify(joined.payload));
          await sql.query(`INSERT INTO notes (label) VALUES ('for the 0.0.5 SDK')`);
          const [push] = await client.waitForChanges('table:notes', 1);
          assert.equal(push!.payload.table, 'notes');
        }
        assert.ok(
          raw.every((text) => Array.isArray(JSON.parse(text))),
          `every frame is an array: ${raw.join(' ')}`,
        );
        assert.equal(client.closeCode, null);
      } finally {
        client.close();
      }
    }
  });
});

describe('the backend proxy', () => {
  const upgrade = (query: string, path = '/realtime/socket/websocket') =>
    RawClient.open(`${backendUrl}${path}?${query}`).then(
      (client) => {
        client.close();
        return 101;
      },
      (err: { status?: number; body?: string }) => ({ status: err.status, body: err.body }),
    );

  test('refuses a missing key (406), a wrong key (401), a forged token (401) and other paths (404)', async () => {
    const missing = (await upgrade('vsn=2.0.0')) as { status: number; body: string };
    assert.equal(missing.status, 406);
    assert.equal(JSON.parse(missing.body).code, 'API_KEY_MISSING');
    assert.equal(((await upgrade('X-API-Key=wrong')) as { status: number }).status, 401);
    const forged = (await upgrade(`X-API-Key=${API_KEY}&token=${owner.token.slice(0, -3)}abc`)) as {
      status: number;
      body: string;
    };
    assert.equal(forged.status, 401);
    assert.equal(JSON.parse(forged.body).code, 'INVALID_TOKEN');
    assert.equal(
      ((await upgrade(`X-API-Key=${API_KEY}`, '/users/websocket')) as { status: number }).status,
      404,
    );
    assert.equal(await upgrade(`X-API-Key=${API_KEY}`, '/realtime/socket'), 101);
    assert.equal(await upgrade(`X-API-Key=${API_KEY}`), 101);
  });

  test('a plain GET /realtime/socket answers 404 (after the key check), and the operation is documented', async () => {
    const plain = await call(backend.app, 'GET', `/realtime/socket?X-API-Key=${API_KEY}`);
    assert.equal(plain.status, 404);
    assert.match(String(plain.body.detail), /only accepts WebSocket/);
    assert.equal((await call(backend.app, 'GET', '/realtime/socket', { apiKey: null })).status, 406);
    const doc = (await call(backend.app, 'GET', '/openapi.json')).body as unknown as {
      paths: Record<
        string,
        Record<
          string,
          { operationId: string; parameters: { name: string; in: string; required?: boolean }[] }
        >
      >;
    };
    const operation = doc.paths['/realtime/socket']?.get;
    assert.equal(operation?.operationId, 'websocketRealtimeSocket');
    const query = operation!.parameters.filter((p) => p.in === 'query');
    assert.ok(query.some((p) => p.name === 'X-API-Key' && p.required));
    assert.ok(query.some((p) => p.name === 'token' && !p.required));
  });

  test('closing the backend ends the tunnels it holds at once (the server would wait for them)', async () => {
    const other = await startTestApp({ REALTIME_URL: `http://127.0.0.1:${realtime.port}` });
    await other.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (other.app.server.address() as AddressInfo).port;
    const client = await RawClient.open(
      `ws://127.0.0.1:${port}/realtime/socket/websocket?X-API-Key=${API_KEY}&vsn=2.0.0`,
    );
    assert.equal((await client.request('phoenix', 'heartbeat')).payload.status, 'ok');
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
    await client.waitClosed();
  });

  test('answers 503 REALTIME_UNAVAILABLE when the service is down', async () => {
    const port = await freePort();
    const lonely = await startTestApp({ REALTIME_URL: `http://127.0.0.1:${port}` });
    try {
      await lonely.app.listen({ host: '127.0.0.1', port: 0 });
      const url = `ws://127.0.0.1:${(lonely.app.server.address() as AddressInfo).port}/realtime/socket/websocket?X-API-Key=${API_KEY}`;
      await assert.rejects(RawClient.open(url), (err: { status: number; body: string }) => {
        assert.equal(err.status, 503);
        assert.equal(JSON.parse(err.body).code, 'REALTIME_UNAVAILABLE');
        return true;
      });
    } finally {
      await lonely.close();
    }
  });
});
