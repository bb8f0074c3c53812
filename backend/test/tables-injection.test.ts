// An injection and bad-input corpus against every place a request names something that reaches SQL: table and
// column names, types, defaults, sort, order, select and filter parameters, row body keys, id_column, on_conflict,
// search. Each is answered 4xx with {detail, code} (or, where the text is a plain value, matched literally), and the
// database is unchanged afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ADMIN, call, login, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let db: pg.Client;
let token: string;
let tableId: string;
let snapshotBefore: string;

const PAYLOADS = [
  `x; DROP TABLE users; --`,
  `x"; DROP TABLE users; --`,
  `x'); DROP TABLE users; --`,
  `x" text, "y`,
  `id) ; DELETE FROM users; --`,
  `(SELECT password FROM users LIMIT 1)`,
  `pg_sleep(5)`,
  `id::text`,
  `"id"`,
  `id -- `,
  `a\u0000b`,
];

/** Everything an injection could have touched: relations, columns, the registry, users, rows, functions. */
async function snapshot(): Promise<string> {
  const { rows } = await db.query(`
    SELECT
      (SELECT json_agg(c.relname || ':' || c.relkind::text ORDER BY c.relname) FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public') AS relations,
      (SELECT json_agg(attname || ':' || format_type(atttypid, atttypmod) ORDER BY attnum) FROM pg_attribute
         WHERE attrelid = 'public.notes'::regclass AND attnum > 0 AND NOT attisdropped) AS columns,
      (SELECT json_agg(pg_get_expr(adbin, adrelid) ORDER BY adnum) FROM pg_attrdef
         WHERE adrelid = 'public.notes'::regclass) AS defaults,
      (SELECT json_agg(json_build_object('name', name, 'schema', table_schema, 'public', public) ORDER BY name)
         FROM tables) AS registry,
      (SELECT json_agg(email ORDER BY email) FROM users) AS users,
      (SELECT json_agg(n ORDER BY n) FROM (SELECT to_jsonb(notes) - 'updated_at' AS n FROM notes) s) AS notes,
      (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public')
        AS functions`);
  return JSON.stringify(rows[0]);
}

before(async () => {
  t = await startTestApp();
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  const created = await call(t.app, 'POST', '/tables/', {
    token,
    body: { name: 'notes', public: true, table_schema: { title: 'text', qty: 'integer', tag: 'uuid' } },
  });
  tableId = String(created.body.id);
  await call(t.app, 'POST', `/tables/${tableId}/data`, {
    token,
    body: [
      { title: 'a', qty: 1 },
      { title: 'b', qty: 2 },
    ],
  });
  snapshotBefore = await snapshot();
});
after(async () => {
  await db.end();
  await t.close();
});

/** A refused request: 4xx with the one error body. */
function assertRefused(response: { status: number; body: Record<string, unknown> }, what: string) {
  assert.ok(
    response.status >= 400 && response.status < 500,
    `${what} → ${response.status} ${JSON.stringify(response.body)}`,
  );
  assert.ok(typeof response.body.detail === 'string' || Array.isArray(response.body.detail), what);
  assert.equal(typeof response.body.code, 'string', what);
}

const enc = encodeURIComponent;

describe('the corpus is refused (or matched literally) and changes nothing', () => {
  test('table names, on create and on rename; reserved words; 64 characters', async () => {
    const names = [
      ...PAYLOADS,
      'users',
      'tables',
      'select',
      'order',
      'pg_class',
      'Notes',
      'a'.repeat(64),
      '',
    ];
    for (const name of names) {
      assertRefused(
        await call(t.app, 'POST', '/tables/', { token, body: { name, table_schema: { a: 'text' } } }),
        `create ${name}`,
      );
      assertRefused(
        await call(t.app, 'PATCH', `/tables/${tableId}`, { token, body: { name } }),
        `rename to ${name}`,
      );
    }
    const reserved = await call(t.app, 'POST', '/tables/', {
      token,
      body: { name: 'select', table_schema: { a: 'text' } },
    });
    assert.equal(reserved.status, 400);
    assert.equal(reserved.body.detail, "Table name 'select' is reserved");
  });

  test('column names in table_schema, in add, in rename and in the path', async () => {
    for (const name of [...PAYLOADS, 'a'.repeat(64), 'ctid', '1abc']) {
      assertRefused(
        await call(t.app, 'POST', '/tables/', {
          token,
          body: { name: 'fresh', table_schema: { [name]: 'text' } },
        }),
        `schema key ${name}`,
      );
      assertRefused(
        await call(t.app, 'POST', `/tables/${tableId}/columns`, { token, body: { name, type: 'text' } }),
        `add ${name}`,
      );
      assertRefused(
        await call(t.app, 'PATCH', `/tables/${tableId}/columns/title`, { token, body: { new_name: name } }),
        `rename to ${name}`,
      );
      assertRefused(
        await call(t.app, 'DELETE', `/tables/${tableId}/columns/${enc(name)}`, { token }),
        `drop ${name}`,
      );
    }
  });

  test('types and defaults', async () => {
    const types = [
      ...PAYLOADS,
      'text; DROP TABLE users',
      'text) ; DROP TABLE users; --',
      'integer DEFAULT 1',
      'text COLLATE "C"',
      'varchar(10); --',
      'serial',
      'regclass',
    ];
    for (const type of types) {
      const create = await call(t.app, 'POST', '/tables/', {
        token,
        body: { name: 'fresh', table_schema: { a: { type } } },
      });
      assertRefused(create, `create type ${type}`);
      assert.equal(create.body.code, create.status === 422 ? 'VALIDATION_FAILED' : 'INVALID_COLUMN_TYPE');
      assertRefused(
        await call(t.app, 'POST', `/tables/${tableId}/columns`, { token, body: { name: 'c', type } }),
        `add ${type}`,
      );
      assertRefused(
        await call(t.app, 'PATCH', `/tables/${tableId}/columns/qty`, { token, body: { type } }),
        `retype ${type}`,
      );
    }
    const defaults: [string, string][] = [
      ['integer', '1); DROP TABLE users; --'],
      ['integer', '(SELECT 1)'],
      ['integer', 'pg_sleep(5)'],
      ['timestamptz', 'now(); DROP TABLE users'],
      ['uuid', "gen_random_uuid()'; --"],
      ['boolean', "true'::boolean OR '1"],
      ['integer', 'now()'],
    ];
    for (const [type, value] of defaults) {
      assertRefused(
        await call(t.app, 'POST', '/tables/', {
          token,
          body: { name: 'fresh', table_schema: { a: { type, default: value } } },
        }),
        `create default ${value}`,
      );
      assertRefused(
        await call(t.app, 'POST', `/tables/${tableId}/columns`, {
          token,
          body: { name: 'c', type, default: value },
        }),
        `add default ${value}`,
      );
    }
    assertRefused(
      await call(t.app, 'PATCH', `/tables/${tableId}/columns/qty`, {
        token,
        body: { default: '0; DROP TABLE users' },
      }),
      'alter default',
    );
  });

  test('sort, order, select, filters, count and search parameters', async () => {
    const refused = [
      ...PAYLOADS.map((p) => `sort_by=${enc(p)}`),
      ...PAYLOADS.map((p) => `order=${enc(p)}`),
      ...PAYLOADS.map((p) => `select=${enc(p)}`),
      ...PAYLOADS.map((p) => `${enc(p)}=eq.1`),
      'sort_order=desc;DROP%20TABLE%20users',
      'order=title.desc;DROP%20TABLE%20users',
      `order=${enc('title.desc, (SELECT 1)')}`,
      `select=${enc('title,(SELECT password FROM users)')}`,
      `qty=${enc('eq.1 OR 1=1')}`,
      `qty=${enc('in.(1);DROP TABLE users')}`,
      `tag=${enc("eq.' OR ''='")}`,
      `title=${enc('is.null; DROP TABLE users')}`,
      `title=${enc('eq')}`,
      `count=${enc('exact; DROP TABLE users')}`,
      `page_size=${enc('10; DROP TABLE users')}`,
      'page_size=100000',
      `search=${enc('\u0001')}`,
      `search=${'x'.repeat(101)}`,
    ];
    for (const query of refused) {
      assertRefused(await call(t.app, 'GET', `/tables/${tableId}/data?${query}`), query);
    }
    // Plain values are bound as parameters: they only ever match as text.
    for (const query of [
      `title=${enc("eq.a' OR '1'='1")}`,
      `title=${enc('like.%; DROP TABLE users; --')}`,
      `title=${enc("in.(a') OR ('1'='1)")}`,
      `search=${enc("' OR 1=1 --")}`,
      `search=${enc('%')}`,
      `search=${enc('_')}`,
    ]) {
      const response = await call(t.app, 'GET', `/tables/${tableId}/data?${query}`);
      assert.equal(response.status, 200, query);
      assert.deepEqual(response.body.data, [], query);
    }
  });

  test('row body keys, values, id_column, row ids and on_conflict', async () => {
    for (const key of PAYLOADS) {
      const insert = await call(t.app, 'POST', `/tables/${tableId}/data`, { token, body: { [key]: 'x' } });
      assertRefused(insert, `insert key ${key}`);
      const rowId = (await db.query('SELECT id FROM notes LIMIT 1')).rows[0].id;
      assertRefused(
        await call(t.app, 'PATCH', `/tables/${tableId}/data/${rowId}`, { token, body: { [key]: 'x' } }),
        `update key ${key}`,
      );
      assertRefused(
        await call(t.app, 'PATCH', `/tables/${tableId}/data/${rowId}?id_column=${enc(key)}`, {
          token,
          body: { title: 'x' },
        }),
        `id_column ${key}`,
      );
      assertRefused(
        await call(t.app, 'DELETE', `/tables/${tableId}/data/${rowId}?id_column=${enc(key)}`, { token }),
        `delete id_column ${key}`,
      );
      assertRefused(
        await call(t.app, 'DELETE', `/tables/${tableId}/data/${enc(key)}`, { token }),
        `delete row id ${key}`,
      );
      assertRefused(
        await call(t.app, 'POST', `/tables/${tableId}/data?on_conflict=${enc(key)}`, {
          token,
          body: { title: 'x' },
        }),
        `on_conflict ${key}`,
      );
    }
    for (const body of [
      { qty: '1; DROP TABLE users' },
      { tag: "' OR 1=1 --" },
      { qty: { $gt: 1 } },
      { title: { toString: 1 } },
    ]) {
      assertRefused(
        await call(t.app, 'POST', `/tables/${tableId}/data`, { token, body }),
        JSON.stringify(body),
      );
    }
    const prototype = await t.app.inject({
      method: 'POST',
      url: `/tables/${tableId}/data`,
      headers: {
        'x-api-key': 'selfdb-test-api-key-0123456789abcdef',
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      payload: '{"__proto__": {"title": "polluted"}}',
    });
    assert.equal(prototype.statusCode, 422);
  });

  test('nothing changed', async () => {
    assert.equal(await snapshot(), snapshotBefore);
  });
});
