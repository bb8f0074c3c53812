// Authorization of the /tables operations as tables of scenarios (SPEC §2.1): anonymous, a user who owns the target
// row (its user_id) but not the table, another user, the table's owner and an admin, on a public and a private
// table. Every refused write is checked to have changed nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

type Actor = 'anonymous' | 'user' | 'other' | 'owner' | 'admin';
type Visibility = 'public' | 'private';
/** A status code, or for list/count whether the table is among the results. */
type Expect = number | 'sees' | 'hidden';

interface Scenario {
  name: string;
  expect: Record<Visibility, Record<Actor, Expect>>;
  /** Runs the operation on `tableId` (the row `rowId` belongs to `user`); returns the status or visibility. */
  run(tableId: string, rowId: string, token: string | undefined): Promise<{ outcome: Expect; body: unknown }>;
  /** What must still hold after a refusal (nothing changed). */
  unchanged?: (tableName: string, rowId: string) => Promise<void>;
}

const ALL = (value: Expect): Record<Actor, Expect> => ({
  anonymous: value,
  user: value,
  other: value,
  owner: value,
  admin: value,
});

let t: TestApp;
let db: pg.Client;
const tokens: Partial<Record<Actor, string>> = {};
const ids: Partial<Record<Actor, string>> = {};
const tables: Record<Visibility, { id: string; name: string }> = {} as never;
let counter = 0;

const status = async (response: Promise<{ status: number; body: unknown }>) => {
  const { status: code, body } = await response;
  return { outcome: code as Expect, body };
};
const rowState = async (table: string, rowId: string) =>
  (await db.query(`SELECT note, user_id FROM "${table}" WHERE id = $1`, [rowId])).rows[0];

const SCENARIOS: Scenario[] = [
  {
    name: 'list',
    expect: {
      public: ALL('sees'),
      private: { anonymous: 'hidden', user: 'hidden', other: 'hidden', owner: 'sees', admin: 'sees' },
    },
    async run(tableId, _rowId, token) {
      const response = await call(t.app, 'GET', '/tables/', { token });
      assert.equal(response.status, 200);
      const seen = (response.body as unknown as { id: string }[]).some((table) => table.id === tableId);
      return { outcome: seen ? 'sees' : 'hidden', body: response.body };
    },
  },
  {
    name: 'count',
    expect: {
      public: ALL('sees'),
      private: { anonymous: 'hidden', user: 'hidden', other: 'hidden', owner: 'sees', admin: 'sees' },
    },
    async run(tableId, _rowId, token) {
      // The count includes the table exactly when the list does (same rule, same search).
      const name = tableId === tables.public.id ? tables.public.name : tables.private.name;
      const response = await call(t.app, 'GET', `/tables/count?search=${name}`, { token });
      assert.equal(response.status, 200);
      return { outcome: (response.body as unknown as number) === 1 ? 'sees' : 'hidden', body: response.body };
    },
  },
  {
    name: 'get',
    expect: {
      public: ALL(200),
      private: { anonymous: 401, user: 404, other: 404, owner: 200, admin: 200 },
    },
    run: (tableId, _rowId, token) => status(call(t.app, 'GET', `/tables/${tableId}`, { token })),
  },
  {
    name: 'read rows',
    expect: {
      public: ALL(200),
      private: { anonymous: 401, user: 404, other: 404, owner: 200, admin: 200 },
    },
    run: (tableId, _rowId, token) => status(call(t.app, 'GET', `/tables/${tableId}/data`, { token })),
  },
  {
    name: 'insert',
    expect: {
      public: { anonymous: 401, user: 200, other: 200, owner: 200, admin: 200 },
      private: { anonymous: 401, user: 404, other: 404, owner: 200, admin: 200 },
    },
    run: (tableId, _rowId, token) =>
      status(
        call(t.app, 'POST', `/tables/${tableId}/data`, { token, body: { note: `inserted ${++counter}` } }),
      ),
    async unchanged(table) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM "${table}" WHERE note = $1`, [
        `inserted ${counter}`,
      ]);
      assert.equal(rows[0].n, 0, 'no row inserted');
    },
  },
  {
    name: 'update row',
    expect: {
      public: { anonymous: 401, user: 200, other: 404, owner: 200, admin: 200 },
      private: { anonymous: 401, user: 404, other: 404, owner: 200, admin: 200 },
    },
    run: (tableId, rowId, token) =>
      status(call(t.app, 'PATCH', `/tables/${tableId}/data/${rowId}`, { token, body: { note: 'changed' } })),
    async unchanged(table, rowId) {
      assert.equal((await rowState(table, rowId)).note, 'original');
    },
  },
  {
    name: 'delete row',
    expect: {
      public: { anonymous: 401, user: 200, other: 404, owner: 200, admin: 200 },
      private: { anonymous: 401, user: 404, other: 404, owner: 200, admin: 200 },
    },
    run: (tableId, rowId, token) =>
      status(call(t.app, 'DELETE', `/tables/${tableId}/data/${rowId}`, { token })),
    async unchanged(table, rowId) {
      assert.ok(await rowState(table, rowId), 'row still there');
    },
  },
  {
    name: 'alter',
    expect: {
      public: { anonymous: 401, user: 403, other: 403, owner: 200, admin: 200 },
      private: { anonymous: 401, user: 404, other: 404, owner: 200, admin: 200 },
    },
    run: (tableId, _rowId, token) =>
      status(
        call(t.app, 'POST', `/tables/${tableId}/columns`, {
          token,
          body: { name: `c${++counter}`, type: 'text' },
        }),
      ),
    async unchanged(table) {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = $1 AND column_name = $2`,
        [table, `c${counter}`],
      );
      assert.equal(rows[0].n, 0, 'no column added');
    },
  },
];

before(async () => {
  t = await startTestApp();
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
  tokens.admin = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  for (const actor of ['user', 'other', 'owner'] as const) {
    const registered = await registerUser(t.app, `${actor}@example.com`);
    tokens[actor] = registered.access_token;
    ids[actor] = registered.id;
  }
  for (const visibility of ['public', 'private'] as const) {
    const created = await call(t.app, 'POST', '/tables/', {
      token: tokens.owner,
      body: {
        name: `${visibility}_notes`,
        public: visibility === 'public',
        table_schema: { note: { type: 'text' }, user_id: { type: 'uuid' } },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    tables[visibility] = { id: String(created.body.id), name: String(created.body.name) };
  }
});
after(async () => {
  await db.end();
  await t.close();
});

describe('/tables authorization', () => {
  for (const scenario of SCENARIOS) {
    for (const visibility of ['public', 'private'] as const) {
      for (const actor of ['anonymous', 'user', 'other', 'owner', 'admin'] as const) {
        const expected = scenario.expect[visibility][actor];
        test(`${scenario.name} on a ${visibility} table as ${actor} → ${expected}`, async () => {
          const table = tables[visibility];
          // A fresh row owned by `user` for each case: deletes and updates must find it intact.
          const { rows } = await db.query(
            `INSERT INTO "${table.name}" (note, user_id) VALUES ('original', $1) RETURNING id`,
            [ids.user],
          );
          const rowId = rows[0].id as string;
          const { outcome, body } = await scenario.run(table.id, rowId, tokens[actor]);
          assert.equal(outcome, expected, JSON.stringify(body));
          if (typeof expected === 'number' && expected >= 400) {
            const error = body as { detail: unknown; code: unknown };
            assert.equal(typeof error.detail, 'string');
            assert.equal(typeof error.code, 'string');
            await scenario.unchanged?.(table.name, rowId);
          }
        });
      }
    }
  }
});

describe('row ownership details', () => {
  test('on a table without user_id, only the owner and admins change rows (403 for others)', async () => {
    const created = await call(t.app, 'POST', '/tables/', {
      token: tokens.owner,
      body: { name: 'guestbook', public: true, table_schema: { note: 'text' } },
    });
    const inserted = await call(t.app, 'POST', `/tables/${created.body.id}/data`, {
      token: tokens.user,
      body: { note: 'hello' },
    });
    assert.equal(inserted.status, 200);
    const rowId = (inserted.body.data as { id: string }).id;
    const refused = await call(t.app, 'PATCH', `/tables/${created.body.id}/data/${rowId}`, {
      token: tokens.user,
      body: { note: 'edited' },
    });
    assert.equal(refused.status, 403);
    const { rows } = await db.query(`SELECT note FROM guestbook WHERE id = $1`, [rowId]);
    assert.equal(rows[0].note, 'hello');
    const byOwner = await call(t.app, 'DELETE', `/tables/${created.body.id}/data/${rowId}`, {
      token: tokens.owner,
    });
    assert.equal(byOwner.status, 200);
  });

  test('a signed-in insert fills user_id with the caller; others cannot insert or move rows to someone else', async () => {
    const table = tables.public;
    const mine = await call(t.app, 'POST', `/tables/${table.id}/data`, {
      token: tokens.user,
      body: { note: 'mine' },
    });
    assert.equal((mine.body.data as { user_id: string }).user_id, ids.user);
    const forged = await call(t.app, 'POST', `/tables/${table.id}/data`, {
      token: tokens.user,
      body: { note: 'forged', user_id: ids.other },
    });
    assert.equal(forged.status, 403);
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM "${table.name}" WHERE note = 'forged'`);
    assert.equal(rows[0].n, 0);
    const rowId = (mine.body.data as { id: string }).id;
    const giveAway = await call(t.app, 'PATCH', `/tables/${table.id}/data/${rowId}`, {
      token: tokens.user,
      body: { user_id: ids.other },
    });
    assert.equal(giveAway.status, 403);
    assert.equal((await rowState(table.name, rowId)).user_id, ids.user);
    const byOwner = await call(t.app, 'POST', `/tables/${table.id}/data`, {
      token: tokens.owner,
      body: { note: 'for other', user_id: ids.other },
    });
    assert.equal(byOwner.status, 200, 'the table owner may set any user_id');
  });

  test('an upsert by a non-owner updates only their own rows', async () => {
    const table = tables.public;
    const { rows } = await db.query(
      `INSERT INTO "${table.name}" (note, user_id) VALUES ('theirs', $1) RETURNING id`,
      [ids.other],
    );
    const theirs = rows[0].id as string;
    const attempt = await call(t.app, 'POST', `/tables/${table.id}/data?on_conflict=id`, {
      token: tokens.user,
      body: { id: theirs, note: 'hijacked', user_id: ids.user },
    });
    assert.equal(attempt.status, 409, JSON.stringify(attempt.body));
    assert.equal((await rowState(table.name, theirs)).note, 'theirs');
  });
});
