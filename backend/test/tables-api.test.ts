// The /tables operations end to end against Postgres through PgBouncer: shapes of SelfDB 0.0.5, the columns SPEC §2.4
// adds, allowlisted types and defaults as they land in the catalog, column changes keeping table_schema in step,
// row_count derived from the table however rows change, and DDL that leaves nothing half-done when it fails.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let db: pg.Client;
let admin: string;
let owner: Awaited<ReturnType<typeof registerUser>>;

before(async () => {
  t = await startTestApp();
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
  admin = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  owner = await registerUser(t.app, 'owner@example.com');
});
after(async () => {
  await db.end();
  await t.close();
});

const createTable = async (body: Record<string, unknown>, token = owner.access_token) =>
  call(t.app, 'POST', '/tables/', { token, body });

/** Columns as the catalog has them: name → {type, nullable, default}. */
async function catalog(table: string) {
  const { rows } = await db.query(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
            pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity <> '' AS identity
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = to_regclass('public.' || quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [table],
  );
  return Object.fromEntries(
    rows.map((r) => [
      r.name,
      { type: r.type, nullable: r.nullable, default: r.default, identity: r.identity },
    ]),
  ) as Record<string, { type: string; nullable: boolean; default: string | null; identity: boolean }>;
}
const primaryKey = async (table: string) =>
  (
    await db.query(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = to_regclass('public.' || quote_ident($1)) AND i.indisprimary`,
      [table],
    )
  ).rows.map((r) => r.attname);
const rowCount = async (id: string) =>
  (await call(t.app, 'GET', `/tables/${id}`, { token: admin })).body.row_count;

describe('creating tables', () => {
  test('answers 201 with TableRead and adds id, created_at, updated_at', async () => {
    const created = await createTable({
      name: 'products',
      table_schema: { title: { type: 'text', nullable: false }, price: { type: 'DECIMAL' } },
      public: true,
      description: 'Product catalog',
      metadata: { version: '1.0' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), [
      'created_at',
      'description',
      'id',
      'metadata',
      'name',
      'owner_id',
      'public',
      'realtime_enabled',
      'row_count',
      'table_schema',
      'updated_at',
    ]);
    assert.equal(created.body.owner_id, owner.id);
    assert.equal(created.body.row_count, 0);
    assert.equal(created.body.realtime_enabled, false);
    assert.deepEqual(created.body.metadata, { version: '1.0' });
    assert.deepEqual(await catalog('products'), {
      id: { type: 'uuid', nullable: false, default: 'gen_random_uuid()', identity: false },
      title: { type: 'text', nullable: false, default: null, identity: false },
      price: { type: 'numeric(10,2)', nullable: true, default: null, identity: false },
      created_at: { type: 'timestamp with time zone', nullable: false, default: 'now()', identity: false },
      updated_at: { type: 'timestamp with time zone', nullable: false, default: 'now()', identity: false },
    });
    assert.deepEqual(await primaryKey('products'), ['id']);
    const schema = created.body.table_schema as Record<string, { type: string }>;
    assert.equal(schema.price!.type, 'DECIMAL', 'types stay as the client spelled them');
    assert.deepEqual(Object.keys(schema).sort(), ['created_at', 'id', 'price', 'title', 'updated_at']);
  });

  test('maps every upstream type spelling, parameters and arrays to the catalog', async () => {
    const created = await createTable({
      name: 'all_types',
      table_schema: {
        a: 'TEXT',
        b: 'STRING',
        c: 'varchar',
        d: 'INTEGER',
        e: 'int',
        f: 'BIGINT',
        g: 'float',
        h: 'BOOL',
        i: 'boolean',
        j: 'date',
        k: 'TIMESTAMP',
        l: 'datetime',
        m: 'JSON',
        n: 'jsonb',
        o: 'UUID',
        p: 'varchar(20)',
        q: 'numeric(12,4)',
        r: 'timestamptz',
        s: 'double precision',
        tags: 'text[]',
        scores: 'integer[]',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const types = Object.fromEntries(Object.entries(await catalog('all_types')).map(([k, v]) => [k, v.type]));
    assert.deepEqual(types, {
      id: 'uuid',
      a: 'text',
      b: 'character varying(255)',
      c: 'character varying(255)',
      d: 'integer',
      e: 'integer',
      f: 'bigint',
      g: 'double precision',
      h: 'boolean',
      i: 'boolean',
      j: 'date',
      k: 'timestamp with time zone',
      l: 'timestamp with time zone',
      m: 'jsonb',
      n: 'jsonb',
      o: 'uuid',
      p: 'character varying(20)',
      q: 'numeric(12,4)',
      r: 'timestamp with time zone',
      s: 'double precision',
      tags: 'text[]',
      scores: 'integer[]',
      created_at: 'timestamp with time zone',
      updated_at: 'timestamp with time zone',
    });
  });

  test('a given id becomes the primary key: uuid gets a generated default, integers an identity', async () => {
    await createTable({ name: 'with_uuid_id', table_schema: { id: { type: 'uuid', nullable: true } } });
    assert.deepEqual(await primaryKey('with_uuid_id'), ['id']);
    assert.equal((await catalog('with_uuid_id')).id!.default, 'gen_random_uuid()');
    await createTable({ name: 'with_int_id', table_schema: { id: 'integer', label: 'text' } });
    assert.equal((await catalog('with_int_id')).id!.identity, true);
    const table = await call(t.app, 'GET', '/tables/?search=with_int_id', { token: owner.access_token });
    const tableId = (table.body as unknown as { id: string }[])[0]!.id;
    const row = await call(t.app, 'POST', `/tables/${tableId}/data`, {
      token: owner.access_token,
      body: { label: 'x' },
    });
    assert.equal((row.body.data as { id: number }).id, 1);
  });

  test('defaults: literals checked and cast, the three known functions, quoted SQL literals', async () => {
    const created = await createTable({
      name: 'with_defaults',
      table_schema: {
        status: { type: 'varchar(10)', default: "'open'" },
        qty: { type: 'integer', default: 0 },
        ok: { type: 'boolean', default: 'true' },
        seen: { type: 'timestamptz', default: 'CURRENT_TIMESTAMP' },
        ref: { type: 'uuid', default: 'gen_random_uuid()' },
        doc: { type: 'jsonb', default: { a: 1 } },
        note: { type: 'text', default: "it's; DROP TABLE users; --" },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const columns = await catalog('with_defaults');
    assert.equal(columns.status!.default, "'open'::character varying(10)");
    assert.equal(columns.qty!.default, '0');
    assert.equal(columns.ok!.default, 'true');
    assert.equal(columns.seen!.default, 'CURRENT_TIMESTAMP');
    assert.equal(columns.ref!.default, 'gen_random_uuid()');
    assert.equal(columns.doc!.default, `'{"a": 1}'::jsonb`);
    assert.equal(columns.note!.default, `'it''s; DROP TABLE users; --'::text`);
    const row = await call(t.app, 'POST', `/tables/${created.body.id}/data`, {
      token: owner.access_token,
      body: {},
    });
    assert.equal(row.status, 200, JSON.stringify(row.body));
    const data = row.body.data as Record<string, unknown>;
    assert.equal(data.status, 'open');
    assert.equal(data.note, "it's; DROP TABLE users; --");
    assert.deepEqual(data.doc, { a: 1 });
    assert.ok((await db.query(`SELECT to_regclass('public.users') IS NOT NULL AS ok`)).rows[0].ok);
  });

  test('JSON Schema (the upstream OpenAPI example) is read as columns', async () => {
    const created = await createTable({
      name: 'json_schema_style',
      table_schema: {
        type: 'object',
        properties: { name: { type: 'string' }, price: { type: 'number' }, n: { type: 'integer' } },
        required: ['name'],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const columns = await catalog('json_schema_style');
    assert.deepEqual(
      [columns.name!.type, columns.name!.nullable, columns.price!.type, columns.n!.type],
      ['text', false, 'double precision', 'bigint'],
    );
  });

  test('a duplicate name answers 409 TABLE_EXISTS and changes nothing', async () => {
    const first = await createTable({ name: 'dupe', table_schema: { a: 'text' } });
    assert.equal(first.status, 201);
    const second = await createTable({ name: 'dupe', table_schema: { b: 'integer' } }, admin);
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'TABLE_EXISTS');
    assert.deepEqual(Object.keys(await catalog('dupe')), ['id', 'a', 'created_at', 'updated_at']);
    const { rows } = await db.query(`SELECT owner_id FROM tables WHERE name = 'dupe'`);
    assert.deepEqual(rows, [{ owner_id: owner.id }]);
  });

  test('a failure after CREATE TABLE leaves neither the table nor a registry row', async () => {
    // A registry row without its table (the table was dropped in SQL): CREATE TABLE succeeds, the registry insert
    // fails, and the transaction takes the new table back with it.
    await db.query(`INSERT INTO tables (name, table_schema, owner_id) VALUES ('orphan', '{}', $1)`, [
      owner.id,
    ]);
    const response = await createTable({ name: 'orphan', table_schema: { a: 'text' } });
    assert.equal(response.status, 409);
    assert.equal((await db.query(`SELECT to_regclass('public.orphan') AS t`)).rows[0].t, null);
  });

  test('needs a signed-in user', async () => {
    const response = await call(t.app, 'POST', '/tables/', {
      body: { name: 'anon', table_schema: { a: 'text' } },
    });
    assert.equal(response.status, 401);
  });
});

describe('reading tables', () => {
  test('list sorts, pages and searches (literally); count follows the same rule', async () => {
    await createTable({
      name: 'zeta_100pct',
      table_schema: { a: 'text' },
      description: '100% sure',
      public: true,
    });
    await createTable({
      name: 'alpha_x',
      table_schema: { a: 'text' },
      description: 'under_score',
      public: true,
    });
    const sorted = await call(t.app, 'GET', '/tables/?sort_by=name&sort_order=asc&limit=2', { token: admin });
    assert.equal(sorted.status, 200);
    assert.deepEqual(
      (sorted.body as unknown as { name: string }[]).map((x) => x.name),
      ['all_types', 'alpha_x'],
    );
    const percent = await call(t.app, 'GET', '/tables/?search=%25', { token: admin });
    assert.deepEqual(
      (percent.body as unknown as { name: string }[]).map((x) => x.name),
      ['zeta_100pct'],
    );
    const underscore = await call(t.app, 'GET', '/tables/count?search=r_s', { token: admin });
    assert.equal(underscore.body, 1, 'only "under_score": _ is not a wildcard');
    const unknown = await call(t.app, 'GET', '/tables/?sort_by=owner_id', { token: admin });
    assert.equal(unknown.status, 422);
    const extra = await call(t.app, 'GET', '/tables/?bogus=1', { token: admin });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.detail, 'Unknown query parameters: bogus');
  });

  test('unknown and malformed ids answer 404', async () => {
    assert.equal((await call(t.app, 'GET', '/tables/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await call(t.app, 'GET', '/tables/not-a-uuid')).status, 404);
  });
});

describe('row_count is derived from the table', () => {
  test('it follows the API, SQL, bulk inserts, upserts, deletes, truncate and rollbacks', async () => {
    const created = await createTable({ name: 'counted', table_schema: { n: 'integer' }, public: true });
    const id = String(created.body.id);
    const insert = (body: unknown, query = '') =>
      call(t.app, 'POST', `/tables/${id}/data${query}`, { token: owner.access_token, body });
    await insert({ n: 1 });
    await insert([{ n: 2 }, { n: 3 }, { n: 4 }]);
    assert.equal(await rowCount(id), 4);
    await db.query('INSERT INTO counted (n) SELECT generate_series(1, 10)');
    assert.equal(await rowCount(id), 14);
    await db.query('DELETE FROM counted WHERE n > 5');
    assert.equal(await rowCount(id), 9);
    await db.query('BEGIN');
    await db.query('INSERT INTO counted (n) VALUES (100)');
    await db.query('ROLLBACK');
    assert.equal(await rowCount(id), 9);
    const existing = (await db.query('SELECT id FROM counted LIMIT 1')).rows[0].id;
    const upsert = await insert(
      [
        { id: existing, n: 42 },
        { id: randomUUID(), n: 43 },
      ],
      '?on_conflict=id',
    );
    assert.equal(upsert.status, 200, JSON.stringify(upsert.body));
    assert.equal(await rowCount(id), 10, 'the upsert updated one row and inserted one');
    await db.query('TRUNCATE counted');
    assert.equal(await rowCount(id), 0);
    await db.query('INSERT INTO counted (n) VALUES (1), (2)');
    assert.equal(await rowCount(id), 2);
    const list = await call(t.app, 'GET', '/tables/?search=counted', { token: admin });
    assert.equal((list.body as unknown as { row_count: number }[])[0]!.row_count, 2);
  });

  test('folding the deltas keeps the count', async () => {
    const { rows } = await db.query(`SELECT id FROM tables WHERE name = 'counted'`);
    const before = await rowCount(rows[0].id);
    assert.ok((await db.query('SELECT selfdb.fold_row_counts() AS n')).rows[0].n >= 0);
    const deltas = await db.query(
      'SELECT count(*)::int AS n FROM selfdb.row_count_deltas WHERE table_id = $1',
      [rows[0].id],
    );
    assert.equal(deltas.rows[0].n, 1);
    assert.equal(await rowCount(rows[0].id), before);
  });

  test('a table registered from outside the API (a 0.0.5 restore, the SQL console) is counted too', async () => {
    await db.query('CREATE TABLE adopted (id serial PRIMARY KEY, v text)');
    await db.query(`INSERT INTO adopted (v) VALUES ('a'), ('b'), ('c')`);
    const { rows } = await db.query(
      `INSERT INTO tables (name, table_schema, owner_id) VALUES ('adopted', '{}', $1) RETURNING id`,
      [owner.id],
    );
    assert.equal(await rowCount(rows[0].id), 3);
    await db.query(`INSERT INTO adopted (v) VALUES ('d')`);
    assert.equal(await rowCount(rows[0].id), 4);
  });
});

describe('changing tables', () => {
  let id: string;
  before(async () => {
    const created = await createTable({ name: 'editable', table_schema: { title: 'text', qty: 'integer' } });
    id = String(created.body.id);
    await call(t.app, 'POST', `/tables/${id}/data`, {
      token: owner.access_token,
      body: { title: 'a', qty: 1 },
    });
  });
  const patch = (body: unknown, path = '') =>
    call(t.app, 'PATCH', `/tables/${id}${path}`, { token: owner.access_token, body });

  test('PATCH renames the table with its registry entry and updates metadata', async () => {
    const response = await patch({ name: 'edited', description: 'new', public: true, metadata: { k: 1 } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.name, 'edited');
    assert.equal(response.body.description, 'new');
    assert.equal(response.body.public, true);
    assert.equal((await db.query(`SELECT to_regclass('public.edited') IS NOT NULL AS ok`)).rows[0].ok, true);
    assert.equal((await db.query(`SELECT to_regclass('public.editable') AS t`)).rows[0].t, null);
    const rows = await call(t.app, 'GET', `/tables/${id}/data`);
    assert.equal((rows.body.data as unknown[]).length, 1, 'data follows the rename at once');
  });

  test('PATCH refuses a taken or reserved name, and a changed table_schema, changing nothing', async () => {
    for (const [body, status, code] of [
      [{ name: 'products' }, 409, 'TABLE_EXISTS'],
      [{ name: 'users' }, 400, 'RESERVED_NAME'],
      [{ name: 'Bad-Name' }, 422, 'VALIDATION_FAILED'],
      [{ table_schema: { hacked: { type: 'text' } } }, 400, 'SCHEMA_CHANGE_UNSUPPORTED'],
    ] as const) {
      const response = await patch(body);
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.equal(response.body.code, code);
    }
    const current = await call(t.app, 'GET', `/tables/${id}`, { token: owner.access_token });
    assert.equal(current.body.name, 'edited');
    assert.equal(
      (await patch({ table_schema: current.body.table_schema, description: 'same schema back' })).status,
      200,
    );
  });

  test('columns: add, rename, retype, nullability, default, drop; table_schema follows', async () => {
    const added = await call(t.app, 'POST', `/tables/${id}/columns`, {
      token: owner.access_token,
      body: { name: 'status', type: 'varchar(20)', nullable: false, default: "'new'" },
    });
    assert.deepEqual(added.body, { status: 'column_added', column: 'status' });
    assert.equal((await db.query('SELECT status FROM edited')).rows[0].status, 'new');
    const updated = await patch(
      { new_name: 'state', type: 'text', nullable: true, default: 'open' },
      '/columns/status',
    );
    assert.deepEqual(updated.body, { status: 'column_updated', column: 'state' });
    const columns = await catalog('edited');
    assert.equal(columns.status, undefined);
    assert.deepEqual(columns.state, {
      type: 'text',
      nullable: true,
      default: "'open'::text",
      identity: false,
    });
    assert.deepEqual((await patch({}, '/columns/state')).body, { status: 'no_changes' });
    assert.equal((await patch({ default: '' }, '/columns/state')).status, 200);
    assert.equal((await catalog('edited')).state!.default, null);
    const schema = (await call(t.app, 'GET', `/tables/${id}`, { token: owner.access_token })).body
      .table_schema as Record<string, unknown>;
    assert.deepEqual(schema.state, { type: 'text', nullable: true });
    assert.equal(schema.status, undefined);
    const dropped = await call(t.app, 'DELETE', `/tables/${id}/columns/state`, { token: owner.access_token });
    assert.deepEqual(dropped.body, { status: 'column_deleted', column: 'state' });
    assert.equal((await catalog('edited')).state, undefined);
  });

  test('column errors: 409 for a taken name, 404 for a missing column, 400 for a bad cast; nothing changes', async () => {
    const taken = await call(t.app, 'POST', `/tables/${id}/columns`, {
      token: owner.access_token,
      body: { name: 'qty', type: 'text' },
    });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'COLUMN_EXISTS');
    assert.equal(
      (await call(t.app, 'DELETE', `/tables/${id}/columns/nope`, { token: owner.access_token })).status,
      404,
    );
    assert.equal((await patch({ type: 'integer' }, '/columns/nope')).status, 404);
    const badCast = await patch({ type: 'uuid', new_name: 'renamed' }, '/columns/title');
    assert.equal(badCast.status, 400, JSON.stringify(badCast.body));
    const columns = await catalog('edited');
    assert.equal(columns.title!.type, 'text', 'the failed change left the column as it was');
    assert.equal(columns.renamed, undefined);
    const notNull = await call(t.app, 'POST', `/tables/${id}/columns`, {
      token: owner.access_token,
      body: { name: 'required', type: 'text', nullable: false },
    });
    assert.equal(notNull.status, 400, 'existing rows cannot satisfy NOT NULL without a default');
    assert.equal((await catalog('edited')).required, undefined);
  });

  test('updated_at is kept current, and the trigger follows the column', async () => {
    const before = (await db.query('SELECT updated_at FROM edited')).rows[0].updated_at as Date;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const rowId = (await db.query('SELECT id FROM edited')).rows[0].id;
    await call(t.app, 'PATCH', `/tables/${id}/data/${rowId}`, {
      token: owner.access_token,
      body: { qty: 2 },
    });
    const after = (await db.query('SELECT updated_at FROM edited')).rows[0].updated_at as Date;
    assert.ok(after > before);
    assert.equal(
      (await call(t.app, 'DELETE', `/tables/${id}/columns/updated_at`, { token: owner.access_token })).status,
      200,
    );
    const update = await call(t.app, 'PATCH', `/tables/${id}/data/${rowId}`, {
      token: owner.access_token,
      body: { qty: 3 },
    });
    assert.equal(update.status, 200, 'updates still work without the column');
  });

  test('DELETE drops the table and its registry entry', async () => {
    const response = await call(t.app, 'DELETE', `/tables/${id}`, { token: owner.access_token });
    assert.deepEqual(response.body, { status: 'table_deleted', id, name: 'edited' });
    assert.equal((await db.query(`SELECT to_regclass('public.edited') AS t`)).rows[0].t, null);
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM tables WHERE id = $1`, [id])).rows[0].n, 0);
    assert.equal(
      (await db.query(`SELECT count(*)::int AS n FROM selfdb.row_count_deltas WHERE table_id = $1`, [id]))
        .rows[0].n,
      0,
    );
    assert.equal((await call(t.app, 'GET', `/tables/${id}/data`)).status, 404);
  });

  test('a table other tables depend on is not dropped: 409 DEPENDENT_OBJECTS', async () => {
    const parent = await createTable({ name: 'parent', table_schema: { a: 'text' } });
    await db.query('CREATE TABLE child (parent_id uuid REFERENCES parent(id))');
    const response = await call(t.app, 'DELETE', `/tables/${parent.body.id}`, { token: owner.access_token });
    assert.equal(response.status, 409);
    assert.equal(response.body.code, 'DEPENDENT_OBJECTS');
    assert.equal(
      (await db.query(`SELECT count(*)::int AS n FROM tables WHERE name = 'parent'`)).rows[0].n,
      1,
    );
  });
});
