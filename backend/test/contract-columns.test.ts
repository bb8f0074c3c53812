// Issue 17, part 5: the columns the data API stands on are protected. Through the column routes a table owner cannot
// drop, retype or rename the primary key or `user_id` (409 PROTECTED_COLUMN with the reason; nothing changes), and
// the table's row routes keep working; other columns, and those columns' nullability and default, still change.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, registerUser, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let owner: Awaited<ReturnType<typeof registerUser>>;
let tableId: string;

before(async () => {
  t = await startTestApp();
  owner = await registerUser(t.app, 'owner@example.com');
  const created = await call(t.app, 'POST', '/tables/', {
    token: owner.access_token,
    body: { name: 'tasks', public: false, table_schema: { title: 'text', user_id: 'uuid', extra: 'text' } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  tableId = String(created.body.id);
});
after(() => t?.close());

const column = (name: string) => `/tables/${tableId}/columns/${name}`;

const REFUSED: [string, string, string, unknown?][] = [
  ['drop the primary key', 'DELETE', 'id'],
  ['retype the primary key', 'PATCH', 'id', { type: 'text' }],
  ['rename the primary key', 'PATCH', 'id', { new_name: 'ident' }],
  ['drop user_id', 'DELETE', 'user_id'],
  ['retype user_id', 'PATCH', 'user_id', { type: 'text' }],
  ['rename user_id', 'PATCH', 'user_id', { new_name: 'owner_id' }],
  ['retype and rename user_id at once', 'PATCH', 'user_id', { type: 'text', new_name: 'who' }],
];

for (const [name, method, target, body] of REFUSED) {
  test(`the owner cannot ${name}: 409 PROTECTED_COLUMN, nothing changed`, async () => {
    const before = await call(t.app, 'GET', `/tables/${tableId}`, { token: owner.access_token });
    const response = await call(t.app, method, column(target), { token: owner.access_token, body });
    assert.equal(response.status, 409, JSON.stringify(response.body));
    assert.equal(response.body.code, 'PROTECTED_COLUMN');
    assert.match(String(response.body.detail), new RegExp(`'${target}'.*(primary key|owner column)`));
    const afterwards = await call(t.app, 'GET', `/tables/${tableId}`, { token: owner.access_token });
    assert.deepEqual(afterwards.body.table_schema, before.body.table_schema);
  });
}

test('the data API keeps working for the table: insert (user_id filled), read, update and delete by id', async () => {
  const token = owner.access_token;
  const inserted = await call(t.app, 'POST', `/tables/${tableId}/data`, { token, body: { title: 'a' } });
  assert.equal(inserted.status, 200, JSON.stringify(inserted.body));
  const row = inserted.body.data as Record<string, unknown>;
  assert.equal(row.user_id, owner.id);
  const updated = await call(t.app, 'PATCH', `/tables/${tableId}/data/${String(row.id)}`, {
    token,
    body: { title: 'b' },
  });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  const read = await call(t.app, 'GET', `/tables/${tableId}/data?title=eq.b`, { token });
  assert.equal(read.body.total, 1);
  const deleted = await call(t.app, 'DELETE', `/tables/${tableId}/data/${String(row.id)}`, { token });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
});

test('other columns still drop and retype; a protected column’s default and nullability still change', async () => {
  const token = owner.access_token;
  const retyped = await call(t.app, 'PATCH', column('extra'), { token, body: { type: 'integer' } });
  assert.equal(retyped.status, 200, JSON.stringify(retyped.body));
  // A type Postgres cannot cast the column's values to is the caller's mistake (400), never a 500.
  const uncastable = await call(t.app, 'PATCH', column('extra'), { token, body: { type: 'jsonb' } });
  assert.equal(uncastable.status, 400, JSON.stringify(uncastable.body));
  assert.equal(uncastable.body.code, 'INVALID_VALUE');
  const renamed = await call(t.app, 'PATCH', column('extra'), { token, body: { new_name: 'extra2' } });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  const dropped = await call(t.app, 'DELETE', column('extra2'), { token });
  assert.equal(dropped.status, 200, JSON.stringify(dropped.body));
  const nullable = await call(t.app, 'PATCH', column('user_id'), { token, body: { nullable: false } });
  assert.equal(nullable.status, 200, JSON.stringify(nullable.body));
  const titled = await call(t.app, 'PATCH', column('title'), { token, body: { default: 'untitled' } });
  assert.equal(titled.status, 200, JSON.stringify(titled.body));
});
