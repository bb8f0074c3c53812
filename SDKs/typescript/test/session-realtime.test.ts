// selfdb.realtime shares the session: the socket joins with the signed-in user's token (a private table is refused
// before login and followed after), and auth.onTokensChange follows every rotation (what an app saves).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { ADMIN } from '../../../backend/test/helpers.ts';
import {
  API_KEY,
  createTable,
  startBackendWithRealtime,
  type TestBackendWithRealtime,
  waitUntil,
} from '../../../realtime/test/helpers.ts';
import {
  type ChangePayload,
  createSelfDB,
  RealtimeError,
  type TokenPair,
  type WebSocketConstructor,
} from '../src/index.ts';

let stack: TestBackendWithRealtime;

before(async () => {
  stack = await startBackendWithRealtime();
  const { rows } = await stack.sql.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [
    ADMIN.email,
  ]);
  await createTable(stack.sql, 'secrets', { id: rows[0]!.id }, { public: false });
});

after(async () => {
  await stack?.close();
});

test('the realtime client joins with the session token and follows its rotations', async () => {
  const selfdb = createSelfDB({
    baseUrl: `http://127.0.0.1:${stack.backendPort}`,
    apiKey: API_KEY,
    realtime: { WebSocket: WebSocket as unknown as WebSocketConstructor, reconnectDelayMs: () => 50 },
  });
  const seen: Array<TokenPair | null> = [];
  selfdb.auth.onTokensChange((tokens) => seen.push(tokens));
  try {
    await assert.rejects(
      selfdb.realtime.channel('table:secrets').subscribe(),
      (err: unknown) => err instanceof RealtimeError && err.code === 'NOT_AUTHENTICATED',
    );
    selfdb.realtime.disconnect();

    const first = await selfdb.auth.login(ADMIN.email, ADMIN.password);
    const changes: ChangePayload[] = [];
    const channel = selfdb.realtime.channel('table:secrets').on('INSERT', (change) => changes.push(change));
    await channel.subscribe();
    await stack.sql.query(`INSERT INTO secrets (label) VALUES ('seen by the admin')`);
    await waitUntil(() => changes.length === 1, 'the insert');
    assert.equal(changes[0]?.new?.label, 'seen by the admin');

    const second = await selfdb.auth.refresh();
    await selfdb.auth.logout();
    assert.deepEqual(seen, [first, second, null]);
  } finally {
    selfdb.realtime.disconnect();
  }
});
