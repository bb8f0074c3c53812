// Table data queries and writes: SelfDB 0.0.5's parameters, PostgREST-style filters, order, select and counts, bulk
// inserts and upserts in one statement, values as SelfDB 0.0.5 returned them, and the metadata cache (one query per
// read; changes made elsewhere picked up).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { ADMIN, call, login, startTestApp, type TestApp, testEnv } from './helpers.ts';

let t: TestApp;
let db: pg.Client;
let token: string;
let tableId: string;

type Row = Record<string, unknown>;
const get = async (query: string) => {
  const response = await call(t.app, 'GET', `/tables/${tableId}/data${query}`);
  return response as typeof response & { body: { data: Row[]; total: number | null } };
};
const values = (rows: Row[], column = 'name') => rows.map((row) => row[column]);

before(async () => {
  t = await startTestApp({ TABLES_METADATA_TTL_MS: '300' });
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  const created = await call(t.app, 'POST', '/tables/', {
    token,
    body: {
      name: 'items',
      public: true,
      table_schema: {
        name: 'text',
        status: 'varchar(20)',
        price: 'decimal',
        qty: 'integer',
        done: 'boolean',
        born: 'date',
        doc: 'jsonb',
        tags: 'text[]',
        sku: 'text',
      },
    },
  });
  tableId = String(created.body.id);
  await db.query('CREATE UNIQUE INDEX items_sku ON items (sku)');
  const inserted = await call(t.app, 'POST', `/tables/${tableId}/data`, {
    token,
    body: [
      { name: 'apple', status: 'open', price: 1.5, qty: 10, done: false, sku: 'A1', tags: ['fruit', 'red'] },
      { name: 'banana', status: 'open', price: 0.25, qty: 20, done: true, sku: 'B1', tags: ['fruit'] },
      { name: 'carrot', status: 'closed', price: 2, qty: null, done: false, sku: 'C1', born: '2024-02-29' },
      { name: '100% juice', status: 'closed', price: 3.75, qty: 5, sku: 'D1', doc: { a: [1, 2] } },
      { name: 'snake_case', status: 'open', price: 10, qty: 1, sku: 'E1' },
    ],
  });
  assert.equal(inserted.status, 200, JSON.stringify(inserted.body));
});
after(async () => {
  await db.end();
  await t.close();
});

describe('reading rows', () => {
  test('SelfDB 0.0.5 parameters: page, page_size, sort_by, sort_order, and the envelope', async () => {
    const page = await get('?page=2&page_size=2&sort_by=name&sort_order=asc');
    assert.equal(page.status, 200);
    assert.deepEqual(Object.keys(page.body).sort(), ['data', 'page', 'page_size', 'total']);
    assert.deepEqual(values(page.body.data), ['banana', 'carrot']);
    assert.equal(page.body.total, 5);
    assert.equal((page.body as unknown as { page: number }).page, 2);
    const beyond = await get('?page=9&page_size=2');
    assert.deepEqual(beyond.body.data, []);
    assert.equal(beyond.body.total, 5, 'the exact total also for an empty page');
    assert.deepEqual(
      values((await get('?sort_by=qty')).body.data, 'qty'),
      [null, 20, 10, 5, 1],
      'desc by default',
    );
  });

  test('values come back as SelfDB 0.0.5 answered them', async () => {
    const { body } = await get('?sku=in.(C1,D1,A1)&order=sku');
    const [apple, carrot, juice] = body.data;
    assert.equal(apple!.price, 1.5);
    assert.deepEqual(apple!.tags, ['fruit', 'red']);
    assert.equal(carrot!.born, '2024-02-29');
    assert.deepEqual(juice!.doc, { a: [1, 2] });
    assert.match(String(apple!.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/);
  });

  test('filters: every operator, not., lists, repeated columns', async () => {
    const cases: [string, string[]][] = [
      ['?status=eq.open', ['apple', 'banana', 'snake_case']],
      ['?status=neq.open', ['carrot', '100% juice']],
      ['?price=gt.2', ['100% juice', 'snake_case']],
      ['?price=gte.2', ['carrot', '100% juice', 'snake_case']],
      ['?price=lt.1.5', ['banana']],
      ['?price=lte.1.5', ['apple', 'banana']],
      ['?name=like.*an*', ['banana']],
      ['?name=ilike.A*', ['apple']],
      ['?sku=in.(A1,"C1")', ['apple', 'carrot']],
      ['?qty=is.null', ['carrot']],
      ['?done=is.true', ['banana']],
      ['?qty=not.is.null&status=eq.closed', ['100% juice']],
      ['?price=gte.1&price=lt.3', ['apple', 'carrot']],
      ['?sku=not.in.(A1,B1,C1)', ['100% juice', 'snake_case']],
      ['?qty=in.()', []],
      ['?tags=eq.{fruit}', ['banana']],
      ['?born=gte.2024-01-01', ['carrot']],
    ];
    for (const [query, expected] of cases) {
      const response = await get(`${query}&order=sku`);
      assert.equal(response.status, 200, `${query}: ${JSON.stringify(response.body)}`);
      assert.deepEqual(values(response.body.data), expected, query);
      assert.equal(response.body.total, expected.length, `${query} total`);
    }
  });

  test('order, select and count', async () => {
    const ordered = await get('?order=status.desc,price.desc&select=name,price');
    assert.deepEqual(values(ordered.body.data), ['snake_case', 'apple', 'banana', '100% juice', 'carrot']);
    assert.deepEqual(Object.keys(ordered.body.data[0]!), ['name', 'price']);
    assert.deepEqual(values((await get('?order=qty.asc.nullsfirst')).body.data, 'qty'), [null, 1, 5, 10, 20]);
    assert.equal((await get('?count=none')).body.total, null);
    const estimated = await get('?count=estimated&status=eq.open');
    assert.equal(estimated.status, 200);
    assert.equal(typeof estimated.body.total, 'number');
    assert.equal((await get('?count=exact&status=eq.open&page_size=1')).body.total, 3);
  });

  test('search matches text columns case-insensitively, with % and _ as plain characters', async () => {
    assert.deepEqual(values((await get('?search=APP')).body.data), ['apple']);
    assert.deepEqual(values((await get('?search=%25')).body.data), ['100% juice']);
    assert.deepEqual(values((await get('?search=e_c')).body.data), ['snake_case']);
    assert.deepEqual(values((await get('?search=_')).body.data), ['snake_case']);
  });

  test('bad parameters answer 4xx naming the problem', async () => {
    const cases: [string, number, string, RegExp][] = [
      ['?bogus=1', 400, 'UNKNOWN_QUERY_PARAMETER', /Unknown query parameters: bogus/],
      ['?sort_by=nope', 400, 'UNKNOWN_COLUMN', /Invalid sort_by column: 'nope'. Valid columns: id, name/],
      ['?page_size=1001', 422, 'VALIDATION_FAILED', /./],
      ['?page_size=0', 422, 'VALIDATION_FAILED', /./],
      ['?page=0', 422, 'VALIDATION_FAILED', /./],
      ['?qty=eq.many', 400, 'INVALID_VALUE', /column 'qty' \(integer\)/],
      ['?done=eq.maybe', 400, 'INVALID_VALUE', /column 'done'/],
      ['?status=has.x', 400, 'INVALID_FILTER', /Invalid filter on 'status'/],
      ['?select=name,secret', 400, 'UNKNOWN_COLUMN', /select column: 'secret'/],
      ['?order=name.up', 400, 'INVALID_FILTER', /Invalid order/],
      ['?count=all', 400, 'INVALID_FILTER', /count/],
      ['?born=eq.yesterday-ish', 400, 'INVALID_VALUE', /date/],
    ];
    for (const [query, status, code, detail] of cases) {
      const response = await get(query);
      assert.equal(response.status, status, `${query}: ${JSON.stringify(response.body)}`);
      assert.equal((response.body as unknown as { code: string }).code, code, query);
      if (status === 400)
        assert.match(String((response.body as unknown as { detail: string }).detail), detail);
    }
  });
});

describe('writing rows', () => {
  const post = (body: unknown, query = '') =>
    call(t.app, 'POST', `/tables/${tableId}/data${query}`, { token, body });
  const count = async () => (await db.query('SELECT count(*)::int AS n FROM items')).rows[0].n as number;

  test('an array is inserted in one statement: one bad row, and none is inserted', async () => {
    const before = await count();
    const wrongType = await post([{ name: 'ok' }, { name: 'bad', qty: 'lots' }]);
    assert.equal(wrongType.status, 400);
    assert.match(String(wrongType.body.detail), /column 'qty'/);
    const duplicate = await post([
      { name: 'ok', sku: 'Z9' },
      { name: 'dupe', sku: 'A1' },
    ]);
    assert.equal(duplicate.status, 409, JSON.stringify(duplicate.body));
    assert.equal(await count(), before);
    const many = await post(Array.from({ length: 300 }, (_, i) => ({ name: `bulk ${i}`, qty: i })));
    assert.equal(many.status, 200);
    assert.equal((many.body.data as Row[]).length, 300);
    assert.equal(await count(), before + 300);
    await db.query(`DELETE FROM items WHERE name LIKE 'bulk %'`);
  });

  test('on_conflict makes an upsert; it must name a unique column', async () => {
    const upserted = await post(
      [
        { sku: 'A1', price: 9 },
        { sku: 'F1', price: 4 },
      ],
      '?on_conflict=sku',
    );
    assert.equal(upserted.status, 200, JSON.stringify(upserted.body));
    const apple = (await db.query(`SELECT name, price FROM items WHERE sku = 'A1'`)).rows[0];
    assert.deepEqual(apple, { name: 'apple', price: '9.00' });
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM items WHERE sku = 'F1'`)).rows[0].n, 1);
    const mixed = await post(
      [
        { sku: 'A1', price: 1 },
        { sku: 'G1', name: 'grape' },
      ],
      '?on_conflict=sku',
    );
    assert.equal(mixed.status, 400, 'rows of an upsert must name the same columns');
    assert.equal((await db.query(`SELECT price FROM items WHERE sku = 'A1'`)).rows[0].price, '9.00');
    const notUnique = await post({ status: 'open', name: 'x' }, '?on_conflict=status');
    assert.equal(notUnique.status, 400);
    assert.equal(notUnique.body.code, 'INVALID_FILTER');
    assert.equal((await post({ name: 'x' }, '?on_conflict=nope')).status, 400);
    assert.equal((await post({ name: 'x' }, '?upsert=true')).status, 400);
    await db.query(`DELETE FROM items WHERE sku = 'F1'`);
    await db.query(`UPDATE items SET price = 1.5 WHERE sku = 'A1'`);
  });

  test('bad rows: unknown columns, wrong types, NOT NULL, too many rows; nothing changes', async () => {
    const before = await count();
    const cases: [unknown, number, string, RegExp][] = [
      [{ nope: 1 }, 400, 'UNKNOWN_COLUMN', /Column 'nope' does not exist in table 'items'/],
      [{ price: 'cheap' }, 400, 'INVALID_VALUE', /column 'price'/],
      [{ done: 'yes' }, 400, 'INVALID_VALUE', /column 'done'/],
      [{ status: 'x'.repeat(21) }, 400, 'INVALID_VALUE', /longer than 20/],
      [{ doc: '{bad' }, 200, '', /./],
      [{ created_at: null }, 400, 'INVALID_VALUE', /Column 'created_at' must not be null/],
      [{ born: 'not a date' }, 400, 'INVALID_VALUE', /date/],
      [{ tags: 'fruit' }, 400, 'INVALID_VALUE', /expected an array/],
      [[], 422, 'VALIDATION_FAILED', /./],
      [Array.from({ length: 1001 }, () => ({})), 422, 'VALIDATION_FAILED', /./],
      [[1, 2], 422, 'VALIDATION_FAILED', /./],
    ];
    for (const [body, status, code, detail] of cases) {
      const response = await post(body);
      assert.equal(
        response.status,
        status,
        `${JSON.stringify(body).slice(0, 50)}: ${JSON.stringify(response.body)}`,
      );
      if (status === 200) {
        await db.query('DELETE FROM items WHERE id = $1', [(response.body.data as Row).id]);
        continue;
      }
      assert.equal(response.body.code, code);
      if (status === 400) assert.match(String(response.body.detail), detail);
    }
    assert.equal(await count(), before);
  });

  test('update and delete by id_column; it must identify one row', async () => {
    const apple = (await db.query(`SELECT id FROM items WHERE sku = 'A1'`)).rows[0].id;
    const bySku = await call(t.app, 'PATCH', `/tables/${tableId}/data/A1?id_column=sku`, {
      token,
      body: { qty: 11 },
    });
    assert.equal(bySku.status, 200, JSON.stringify(bySku.body));
    assert.equal((bySku.body.data as Row).id, apple);
    assert.equal((bySku.body.data as Row).qty, 11);
    const nonUnique = await call(t.app, 'PATCH', `/tables/${tableId}/data/open?id_column=status`, {
      token,
      body: { qty: 0 },
    });
    assert.equal(nonUnique.status, 400);
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM items WHERE qty = 0`)).rows[0].n, 0);
    const badId = await call(t.app, 'PATCH', `/tables/${tableId}/data/not-a-uuid`, {
      token,
      body: { qty: 1 },
    });
    assert.equal(badId.status, 400);
    const missing = await call(
      t.app,
      'DELETE',
      `/tables/${tableId}/data/00000000-0000-4000-8000-000000000000`,
      {
        token,
      },
    );
    assert.equal(missing.status, 404);
    const empty = await call(t.app, 'PATCH', `/tables/${tableId}/data/${apple}`, { token, body: {} });
    assert.equal(empty.status, 400);
    const deleted = await call(t.app, 'DELETE', `/tables/${tableId}/data/E1?id_column=sku`, { token });
    assert.deepEqual(deleted.body, { status: 'row_deleted', table_id: tableId, row_id: 'E1' });
    await db.query(
      `INSERT INTO items (name, status, price, qty, sku) VALUES ('snake_case', 'open', 10, 1, 'E1')`,
    );
  });
});

describe('table metadata cache', () => {
  test('a cached read does not touch the registry: the data query is the only query', async () => {
    const locker = new pg.Client({ connectionString: t.db.directUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      assert.equal((await get('?page_size=1')).status, 200, 'metadata now cached');
      // Anything reading the registry now waits for this lock: a read that needs more than the data query hangs.
      await locker.query('LOCK TABLE tables IN ACCESS EXCLUSIVE MODE');
      const timeout = new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error('the read waited for the registry lock')), 200).unref();
      });
      for (let i = 0; i < 5; i++) {
        assert.equal((await Promise.race([get('?page_size=2&sku=eq.A1'), timeout])).status, 200);
      }
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });

  test('renames and new columns made in SQL are picked up at once', async () => {
    await get('');
    await db.query('ALTER TABLE items RENAME TO goods');
    await db.query(`UPDATE tables SET name = 'goods' WHERE id = $1`, [tableId]);
    await db.query('ALTER TABLE goods ADD COLUMN color text');
    const renamed = await get('?color=is.null&page_size=1');
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.ok('color' in renamed.body.data[0]!);
    await db.query('ALTER TABLE goods DROP COLUMN color');
    await db.query('ALTER TABLE goods RENAME TO items');
    await db.query(`UPDATE tables SET name = 'items' WHERE id = $1`, [tableId]);
    assert.equal((await get('?page_size=1')).status, 200);
  });

  test('another backend process sees a table turn private within the TTL', async () => {
    let other: FastifyInstance | undefined;
    try {
      other = await buildApp(loadConfig(testEnv(t.db, { TABLES_METADATA_TTL_MS: '300' })), { logger: false });
      await other.ready();
      assert.equal((await get('?page_size=1')).status, 200, 'cached as public here');
      const patched = await call(other, 'PATCH', `/tables/${tableId}`, { token, body: { public: false } });
      assert.equal(patched.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal((await get('?page_size=1')).status, 401);
      assert.equal((await call(other, 'GET', `/tables/${tableId}/data`)).status, 401);
      await call(other, 'PATCH', `/tables/${tableId}`, { token, body: { public: true } });
    } finally {
      await other?.close();
    }
  });
});
