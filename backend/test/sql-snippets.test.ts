// Saved snippets (own + shared, as SelfDB 0.0.5) and the per-user console history, between two admins.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let ada: string;
let bob: string;
let bobId: string;

before(async () => {
  t = await startTestApp();
  ada = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  const second = await registerUser(t.app, 'bob@example.com');
  bobId = second.id;
  const promoted = await call(t.app, 'PATCH', `/users/${second.id}`, { token: ada, body: { role: 'ADMIN' } });
  assert.equal(promoted.status, 200);
  // The promotion ended bob's sessions: he signs in again as an admin.
  bob = (await login(t.app, second.email, second.password)).access_token;
});
after(() => t.close());

const create = async (token: string, body: Record<string, unknown>) => {
  const r = await call(t.app, 'POST', '/sql/snippets', { token, body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as Record<string, unknown>;
};
const listNames = async (token: string) =>
  ((await call(t.app, 'GET', '/sql/snippets', { token })).body.snippets as { name: string }[]).map(
    (s) => s.name,
  );

describe('snippets', () => {
  let bobPrivate: Record<string, unknown>;
  let bobShared: Record<string, unknown>;

  before(async () => {
    await create(ada, { name: 'ada private', sql_code: 'SELECT 1' });
    bobPrivate = await create(bob, { name: 'bob private', sql_code: 'SELECT 2', description: null });
    bobShared = await create(bob, {
      name: 'bob shared',
      sql_code: 'SELECT 3',
      description: 'for everyone',
      is_shared: true,
    });
  });

  test('a created snippet answers SqlSnippetRead', () => {
    assert.deepEqual(Object.keys(bobShared).sort(), [
      'created_at',
      'created_by',
      'description',
      'id',
      'is_shared',
      'name',
      'sql_code',
    ]);
    assert.equal(bobShared.created_by, bobId);
    assert.equal(bobShared.is_shared, true);
    assert.equal(bobShared.description, 'for everyone');
    assert.equal(bobPrivate.is_shared, false);
    assert.match(String(bobShared.created_at), /^\d{4}-\d\d-\d\dT/);
  });

  test('each admin sees their own snippets and the shared ones, newest first', async () => {
    assert.deepEqual(await listNames(ada), ['bob shared', 'ada private']);
    assert.deepEqual(await listNames(bob), ['bob shared', 'bob private']);
  });

  test('another admin’s private snippet cannot be deleted (404, it stays)', async () => {
    const r = await call(t.app, 'DELETE', `/sql/snippets/${bobPrivate.id}`, { token: ada });
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { detail: 'Snippet not found', code: 'NOT_FOUND' });
    assert.ok((await listNames(bob)).includes('bob private'));
  });

  test('a shared snippet can be deleted by any admin; the owner deletes their own', async () => {
    const shared = await call(t.app, 'DELETE', `/sql/snippets/${bobShared.id}`, { token: ada });
    assert.equal(shared.status, 204);
    assert.equal(shared.body, undefined);
    const own = await call(t.app, 'DELETE', `/sql/snippets/${bobPrivate.id}`, { token: bob });
    assert.equal(own.status, 204);
    assert.deepEqual(await listNames(bob), []);
  });

  test('unknown and malformed ids answer 404', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' OR '1'='1"]) {
      const r = await call(t.app, 'DELETE', `/sql/snippets/${encodeURIComponent(id)}`, { token: ada });
      assert.equal(r.status, 404, id);
    }
  });

  test('bad bodies are refused with 422 and save nothing', async () => {
    const before = await listNames(ada);
    for (const body of [
      {},
      { name: 'no code' },
      { name: '', sql_code: 'SELECT 1' },
      { name: 'x'.repeat(101), sql_code: 'SELECT 1' },
      { name: 'long code', sql_code: 'x'.repeat(100_001) },
      { name: 'long description', sql_code: 'SELECT 1', description: 'd'.repeat(501) },
      { name: 'nul\u0000', sql_code: 'SELECT 1' },
      { name: 'shared?', sql_code: 'SELECT 1', is_shared: 'yes' },
      { name: 'extra', sql_code: 'SELECT 1', folder: 'x' },
    ]) {
      const r = await call(t.app, 'POST', '/sql/snippets', { token: ada, body });
      assert.equal(r.status, 422, JSON.stringify(body).slice(0, 60));
    }
    assert.deepEqual(await listNames(ada), before);
  });
});

describe('history', () => {
  test('every call is recorded for its caller, failures included, newest first', async () => {
    await call(t.app, 'DELETE', '/sql/history', { token: ada });
    for (const query of [
      'SELECT 1 AS a',
      'SELECT * FROM nowhere',
      'CREATE TABLE h_table (x int)',
      'DROP TABLE h_table',
    ])
      await call(t.app, 'POST', '/sql/query', { token: ada, body: { query } });
    await call(t.app, 'POST', '/sql/query', { token: bob, body: { query: 'SELECT 2' } });
    const r = await call(t.app, 'GET', '/sql/history', { token: ada });
    assert.equal(r.status, 200);
    const history = r.body.history as Record<string, unknown>[];
    assert.deepEqual(
      history.map((h) => [h.query, h.is_read_only, h.row_count, h.error]),
      [
        [
          'DROP TABLE h_table',
          false,
          null,
          'Destructive statement needs confirmation: DROP TABLE "h_table". Send "confirm_destructive": true with the query to run it.',
        ],
        ['CREATE TABLE h_table (x int)', false, null, null],
        ['SELECT * FROM nowhere', true, null, 'relation "nowhere" does not exist'],
        ['SELECT 1 AS a', true, 1, null],
      ],
    );
    assert.deepEqual(Object.keys(history[0]!).sort(), [
      'error',
      'executed_at',
      'execution_time',
      'id',
      'is_read_only',
      'query',
      'row_count',
    ]);
  });

  test('limit bounds the answer; bad limits and unknown parameters are refused', async () => {
    const one = await call(t.app, 'GET', '/sql/history?limit=1', { token: ada });
    assert.equal((one.body.history as unknown[]).length, 1);
    for (const query of ['limit=0', 'limit=501', 'limit=abc']) {
      const r = await call(t.app, 'GET', `/sql/history?${query}`, { token: ada });
      assert.equal(r.status, 422, query);
    }
    const unknown = await call(t.app, 'GET', '/sql/history?offset=5', { token: ada });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.detail, 'Unknown query parameters: offset');
  });

  test('clearing history removes only the caller’s', async () => {
    const cleared = await call(t.app, 'DELETE', '/sql/history', { token: ada });
    assert.equal(cleared.status, 204);
    assert.deepEqual((await call(t.app, 'GET', '/sql/history', { token: ada })).body.history, []);
    const bobs = (await call(t.app, 'GET', '/sql/history', { token: bob })).body.history as {
      query: string;
    }[];
    assert.deepEqual(
      bobs.map((h) => h.query),
      ['SELECT 2'],
    );
  });
});
