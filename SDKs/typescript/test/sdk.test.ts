import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ADMIN, API_KEY, startTestApp, type TestApp } from '../../../backend/test/helpers.ts';
import {
  createSelfDB,
  createTable,
  getTableData,
  insertRow,
  readUsersMe,
  type SelfDB,
  SelfDBError,
} from '../src/index.ts';

// The facade against a real backend over real HTTP (not app.inject), so headers, JSON parsing and the fetch
// client are exercised as an application would use them.
let testApp: TestApp;
let baseUrl: string;

before(async () => {
  testApp = await startTestApp();
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = testApp.app.server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
});

after(async () => {
  await testApp?.close();
});

const connect = (apiKey = API_KEY): SelfDB => createSelfDB({ baseUrl, apiKey });

test('the admin logs in and reads /users/me', async () => {
  const selfdb = connect();
  const tokens = await selfdb.auth.login(ADMIN.email, ADMIN.password);
  assert.equal(tokens.token_type, 'bearer');
  assert.ok(tokens.expires_in > 0);

  const { data, error, response } = await readUsersMe({ client: selfdb.client });
  assert.equal(error, undefined);
  assert.equal(response.status, 200);
  assert.equal(data?.email, ADMIN.email);
  assert.equal(data?.role, 'ADMIN');
  assert.equal(data?.firstName, ADMIN.firstName);
});

test('refresh rotates the tokens, and logout forgets them', async () => {
  const selfdb = connect();
  const first = await selfdb.auth.login(ADMIN.email, ADMIN.password);
  // Concurrent refreshes share one request: a second use of the same refresh token would revoke the session.
  const [a, b] = await Promise.all([selfdb.auth.refresh(), selfdb.auth.refresh()]);
  assert.equal(a, b);
  assert.notEqual(a.refresh_token, first.refresh_token);
  assert.equal(selfdb.auth.tokens, a);
  assert.equal((await readUsersMe({ client: selfdb.client })).response.status, 200);

  await selfdb.auth.logout();
  assert.equal(selfdb.auth.tokens, null);
  const anonymous = await readUsersMe({ client: selfdb.client });
  assert.equal(anonymous.response.status, 401);
  await assert.rejects(selfdb.auth.refresh(), /not signed in/);
});

test('a wrong password is rejected with 401 and keeps the client signed out', async () => {
  const selfdb = connect();
  await assert.rejects(selfdb.auth.login(ADMIN.email, 'not-the-password'), (err: unknown) => {
    assert.ok(err instanceof SelfDBError);
    assert.equal(err.status, 401);
    assert.equal(typeof err.code, 'string');
    return true;
  });
  assert.equal(selfdb.auth.tokens, null);
  assert.equal((await readUsersMe({ client: selfdb.client })).response.status, 401);
});

test('the API key goes on every request: a wrong one gets 401', async () => {
  const selfdb = connect('wrong-key');
  const { error, response } = await readUsersMe({ client: selfdb.client });
  assert.equal(response.status, 401);
  assert.equal((error as { code?: string }).code, 'API_KEY_INVALID');
});

test('the data API parameters are typed and reach the API: filters, order, select, count, on_conflict', async () => {
  const selfdb = connect();
  await selfdb.auth.login(ADMIN.email, ADMIN.password);
  const table = await createTable({
    client: selfdb.client,
    body: {
      name: 'sdk_items',
      table_schema: { sku: { type: 'text' }, price: { type: 'integer' } },
      public: false,
    },
  });
  assert.equal(table.response.status, 201, JSON.stringify(table.error));
  const path = { table_id: table.data!.id };
  const ids: string[] = [];
  for (const [sku, price] of [
    ['a', 1],
    ['b', 5],
    ['c', 9],
  ] as const) {
    const inserted = await insertRow({ client: selfdb.client, path, body: { sku, price } });
    assert.equal(inserted.response.status, 200);
    ids.push(String((inserted.data?.data as { id: string }).id));
  }
  const upsert = await insertRow({
    client: selfdb.client,
    path,
    query: { on_conflict: 'id' },
    body: { id: ids[2]!, sku: 'c', price: 10 },
  });
  assert.equal(upsert.response.status, 200, JSON.stringify(upsert.error));

  const page = await getTableData({
    client: selfdb.client,
    path,
    query: { filters: { price: 'gte.5' }, order: 'price.desc', select: 'sku,price', count: 'exact' },
  });
  assert.equal(page.response.status, 200, JSON.stringify(page.error));
  assert.deepEqual(page.data?.data, [
    { sku: 'c', price: 10 },
    { sku: 'b', price: 5 },
  ]);
  assert.equal(page.data?.total, 2);
});
