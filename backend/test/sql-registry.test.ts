// After DDL in the SQL console the `tables` registry follows the catalog, in the script's own transaction: created
// tables appear (private, owned by the admin), dropped ones disappear, renamed ones keep their row, altered ones get a
// fresh table_schema. Matched by oid, never by reading the SQL text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ADMIN, call, login, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let db: pg.Client;
let token: string;
let adminId: string;

before(async () => {
  t = await startTestApp();
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  adminId = String((await call(t.app, 'GET', '/users/me', { token })).body.id);
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
});
after(async () => {
  await db.end();
  await t.close();
});

interface RegistryRow {
  id: string;
  name: string;
  owner_id: string;
  public: boolean;
  description: string;
  realtime_enabled: boolean;
  table_schema: Record<string, Record<string, unknown>>;
  updated_at: Date;
}

async function sql(query: string, expectStatus = 200) {
  const r = await call(t.app, 'POST', '/sql/query', { token, body: { query, confirm_destructive: true } });
  assert.equal(r.status, expectStatus, JSON.stringify(r.body));
  return r;
}
const entry = async (name: string) =>
  (await db.query<RegistryRow>('SELECT * FROM tables WHERE name = $1', [name])).rows[0];
const names = async () =>
  (await db.query<{ name: string }>('SELECT name FROM tables ORDER BY name')).rows.map((r) => r.name);

describe('the registry follows console DDL', () => {
  test('a table created in SQL is registered: private, owned by the admin, schema from the catalog', async () => {
    await sql(`CREATE TABLE products (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      title varchar(120) NOT NULL,
      price numeric(10, 2) DEFAULT 0,
      tags text[],
      seen_at timestamptz,
      payload jsonb
    ); INSERT INTO products (title) VALUES ('first')`);
    const row = await entry('products');
    assert.ok(row, 'registered');
    assert.equal(row.owner_id, adminId);
    assert.equal(row.public, false);
    assert.equal(row.realtime_enabled, false);
    assert.equal(row.description, 'Table created via SQL Editor');
    assert.deepEqual(row.table_schema, {
      id: { type: 'uuid', nullable: false, default: 'gen_random_uuid()', primary_key: true },
      title: { type: 'varchar(120)', nullable: false },
      price: { type: 'numeric(10,2)', nullable: true, default: '0' },
      tags: { type: 'text[]', nullable: true },
      seen_at: { type: 'timestamptz', nullable: true },
      payload: { type: 'jsonb', nullable: true },
    });
  });

  test('a column change refreshes table_schema and keeps the row', async () => {
    const before = await entry('products');
    await sql(
      'ALTER TABLE products ADD COLUMN stock integer NOT NULL DEFAULT 0; ALTER TABLE products DROP COLUMN payload',
    );
    const row = await entry('products');
    assert.equal(row!.id, before!.id);
    assert.deepEqual(row!.table_schema.stock, { type: 'integer', nullable: false, default: '0' });
    assert.equal(row!.table_schema.payload, undefined);
  });

  test('a renamed table keeps its registry row (id, owner, flags) under the new name', async () => {
    const before = await entry('products');
    await db.query('UPDATE tables SET public = true WHERE id = $1', [before!.id]);
    await sql('ALTER TABLE products RENAME TO goods');
    assert.equal(await entry('products'), undefined);
    const row = await entry('goods');
    assert.equal(row!.id, before!.id);
    assert.equal(row!.public, true);
    assert.deepEqual(row!.table_schema, before!.table_schema);
  });

  test('names swapped within one script follow their tables', async () => {
    await sql('CREATE TABLE left_side (l int); CREATE TABLE right_side (r int)');
    const left = (await entry('left_side'))!.id;
    const right = (await entry('right_side'))!.id;
    await sql(`ALTER TABLE left_side RENAME TO swap_tmp;
      ALTER TABLE right_side RENAME TO left_side;
      ALTER TABLE swap_tmp RENAME TO right_side`);
    assert.equal((await entry('left_side'))!.id, right);
    assert.deepEqual(Object.keys((await entry('left_side'))!.table_schema), ['r']);
    assert.equal((await entry('right_side'))!.id, left);
  });

  test('a dropped table is unregistered', async () => {
    await sql('DROP TABLE goods');
    assert.equal(await entry('goods'), undefined);
  });

  test('a table created and dropped in one script, or made by a failing script, leaves no row', async () => {
    await sql('CREATE TABLE fleeting (x int); DROP TABLE fleeting');
    await sql('CREATE TABLE doomed (x int); SELECT 1/0', 400);
    assert.equal(await entry('fleeting'), undefined);
    assert.equal(await entry('doomed'), undefined);
  });

  test('dropped and created again under the same name: a new registry row', async () => {
    await sql('CREATE TABLE phoenix (a int)');
    const first = (await entry('phoenix'))!.id;
    await sql('DROP TABLE phoenix; CREATE TABLE phoenix (b text)');
    const second = await entry('phoenix');
    assert.notEqual(second!.id, first);
    assert.deepEqual(Object.keys(second!.table_schema), ['b']);
  });

  test('partitioned tables are registered once, without their partitions', async () => {
    await sql(`CREATE TABLE events (at date NOT NULL, what text) PARTITION BY RANGE (at);
      CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`);
    assert.ok(await entry('events'));
    assert.equal(await entry('events_2024'), undefined);
  });
});

describe('what is never registered', () => {
  test('system-looking names, names the API could not use, and other schemas', async () => {
    const before = await names();
    await sql(`CREATE TABLE sql_notes (x int);
      CREATE TABLE selfdb_extra (x int);
      CREATE TABLE "Mixed Case" (x int);
      CREATE TABLE "9lives" (x int);
      CREATE SCHEMA app;
      CREATE TABLE app.inside (x int);
      CREATE VIEW a_view AS SELECT 1 AS one;
      CREATE TEMP TABLE scratch (x int) ON COMMIT DROP`);
    assert.deepEqual(await names(), before);
  });

  test('renaming a registered table to such a name unregisters it; renaming it back registers it anew', async () => {
    await sql('CREATE TABLE plain_name (x int)');
    await sql('ALTER TABLE plain_name RENAME TO "Fancy Name"');
    assert.equal(await entry('plain_name'), undefined);
    await sql('ALTER TABLE "Fancy Name" RENAME TO plain_again');
    assert.equal((await entry('plain_again'))!.owner_id, adminId);
  });

  test('system tables are never registered, whatever the console does to them', async () => {
    await sql('ALTER TABLE files ADD COLUMN console_note text; ALTER TABLE files DROP COLUMN console_note');
    for (const system of ['users', 'tables', 'buckets', 'files', 'refresh_tokens', 'system_config'])
      assert.equal(await entry(system), undefined, system);
  });
});

describe('only the console’s own changes', () => {
  test('tables made outside the console are left to whoever made them', async () => {
    await db.query('CREATE TABLE from_psql (x int)');
    await sql('CREATE TABLE unrelated (x int)');
    assert.equal(await entry('from_psql'), undefined);
    assert.ok(await entry('unrelated'));
  });

  test('a table another client commits while a script runs is not taken for the script’s', async () => {
    const running = sql('CREATE TABLE during (x int); SELECT pg_sleep(1)');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await db.query('CREATE TABLE racing (x int)');
    await running;
    assert.ok(await entry('during'));
    assert.equal(await entry('racing'), undefined);
  });

  test('a stale row (its table dropped outside the console) gives way to the table the console creates', async () => {
    await sql('CREATE TABLE stale (x int)');
    const old = (await entry('stale'))!.id;
    await db.query('DROP TABLE stale');
    await sql('CREATE TABLE stale (y int)');
    const row = await entry('stale');
    assert.notEqual(row!.id, old);
    assert.deepEqual(Object.keys(row!.table_schema), ['y']);
  });

  test('read-only scripts never touch the registry', async () => {
    const before = (await db.query('SELECT id, updated_at FROM tables ORDER BY id')).rows;
    const r = await sql('SELECT * FROM tables');
    assert.equal(r.body.is_read_only, true);
    assert.deepEqual((await db.query('SELECT id, updated_at FROM tables ORDER BY id')).rows, before);
  });
});
