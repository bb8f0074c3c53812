// Least privilege in Postgres: requests run as selfdb_app and the SQL console as selfdb_console, neither a superuser.
// The role system (not the text guard) refuses every way out of the database, also inside DO/EXECUTE where the guard
// cannot see; everything an admin legitimately does to SelfDB's data still works, and objects made in the console
// (or straight in the database) work through the API, and the other way round.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ADMIN, call, login, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let db: pg.Client;
let token: string;
const marker = `/tmp/selfdb-escape-${randomBytes(6).toString('hex')}`;

before(async () => {
  t = await startTestApp();
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
  await db.query('CREATE TABLE escape_target (line text)');
});
after(async () => {
  await db.end();
  await t.close();
});

const sql = (query: string, extra: Record<string, unknown> = {}) =>
  call(t.app, 'POST', '/sql/query', { token, body: { query, ...extra } });
const scalar = async (text: string, params: unknown[] = []) =>
  (await db.query(text, params)).rows[0]?.v as unknown;
/** The statement run through PL/pgSQL dynamic SQL, encoded so that no guard (pattern or parser) can see it. */
const hidden = (statement: string) =>
  `DO $$ BEGIN EXECUTE convert_from(decode('${Buffer.from(statement).toString('base64')}', 'base64'), 'UTF8'); END $$`;

describe('the roles', () => {
  test('SelfDB’s roles are not superusers and may not create roles or databases, replicate or bypass RLS', async () => {
    const { rows } = await db.query(
      `SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin
       FROM pg_roles WHERE rolname LIKE 'selfdb\\_%' ORDER BY rolname`,
    );
    assert.deepEqual(
      rows.map((r) => [r.rolname, r.rolcanlogin]),
      [
        ['selfdb_app', true],
        ['selfdb_console', true],
        ['selfdb_owner', false],
      ],
    );
    for (const row of rows) {
      assert.deepEqual(
        [row.rolsuper, row.rolcreaterole, row.rolcreatedb, row.rolreplication, row.rolbypassrls],
        [false, false, false, false, false],
        row.rolname,
      );
    }
    const { rows: granted } = await db.query(
      `SELECT m.rolname AS member, r.rolname AS role FROM pg_auth_members a
       JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
       WHERE m.rolname LIKE 'selfdb\\_%' ORDER BY 1`,
    );
    assert.deepEqual(granted, [
      { member: 'selfdb_app', role: 'selfdb_owner' },
      { member: 'selfdb_console', role: 'selfdb_owner' },
    ]);
  });

  test('API requests run as selfdb_app through PgBouncer; the console as selfdb_console acting as selfdb_owner', async () => {
    assert.equal((await call(t.app, 'GET', '/users/me', { token })).status, 200);
    const app = new pg.Client({ connectionString: t.db.pooledUrl });
    await app.connect();
    try {
      const { rows } = await app.query(
        'SELECT current_user AS who, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS super',
      );
      assert.deepEqual(rows, [{ who: 'selfdb_app', super: false }]);
    } finally {
      await app.end();
    }
    const r = await sql(
      "SELECT session_user AS session, current_user AS acting, current_setting('is_superuser') AS super",
    );
    assert.deepEqual(r.body.data, [{ session: 'selfdb_console', acting: 'selfdb_owner', super: 'off' }]);
  });

  test('the database belongs to the superuser, and every SelfDB object to selfdb_owner', async () => {
    assert.equal(
      await scalar('SELECT datdba::regrole::text AS v FROM pg_database WHERE datname = current_database()'),
      'postgres',
    );
    const { rows } = await db.query(
      `SELECT c.oid::regclass::text AS name, c.relowner::regrole::text AS owner
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ('public', 'realtime', 'selfdb') AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
         AND c.relowner <> 'selfdb_owner'::regrole`,
    );
    assert.deepEqual(rows, [{ name: 'selfdb_migrations', owner: 'postgres' }]);
  });
});

describe('the console cannot leave the database', () => {
  const cases: { name: string; query: string }[] = [
    { name: 'COPY … TO PROGRAM', query: `COPY (SELECT 1) TO PROGRAM 'touch ${marker}'` },
    { name: 'COPY … FROM PROGRAM', query: "COPY escape_target FROM PROGRAM 'cat /etc/hostname'" },
    { name: 'COPY … FROM a server file', query: "COPY escape_target FROM '/etc/hostname'" },
    { name: 'COPY … TO a server file', query: `COPY (SELECT 1) TO '${marker}'` },
    { name: 'pg_read_file', query: "SELECT pg_read_file('/etc/hostname')" },
    { name: 'pg_read_binary_file', query: "SELECT pg_read_binary_file('/etc/hostname')" },
    { name: 'pg_ls_dir', query: "SELECT pg_ls_dir('.')" },
    { name: 'pg_stat_file', query: "SELECT pg_stat_file('/etc/hostname')" },
    { name: 'lo_import of a server file', query: "SELECT lo_import('/etc/hostname')" },
    { name: 'lo_export to a server file', query: `SELECT lo_export(lo_create(0), '${marker}')` },
    { name: 'CREATE ROLE', query: 'CREATE ROLE escaped SUPERUSER LOGIN' },
    { name: 'ALTER ROLE of the superuser', query: "ALTER ROLE postgres PASSWORD 'taken'" },
    { name: 'ALTER ROLE of the app role', query: 'ALTER ROLE selfdb_app SET search_path = pg_temp' },
    { name: 'ALTER ROLE of the console role itself', query: "ALTER ROLE selfdb_console PASSWORD 'x'" },
    { name: 'GRANT of a privileged role', query: 'GRANT pg_execute_server_program TO selfdb_console' },
    { name: 'GRANT of the app role', query: 'GRANT selfdb_app TO selfdb_console' },
    { name: 'SET ROLE to the superuser', query: 'SET LOCAL ROLE postgres' },
    { name: 'SET ROLE to the app role', query: 'SET LOCAL ROLE selfdb_app' },
    { name: 'SET SESSION AUTHORIZATION', query: 'SET LOCAL SESSION AUTHORIZATION postgres' },
    { name: 'session_replication_role', query: 'SET LOCAL session_replication_role = replica' },
    { name: 'ALTER DATABASE … SET', query: 'ALTER DATABASE :db SET search_path = pg_temp' },
    { name: 'ALTER DATABASE … CONNECTION LIMIT', query: 'ALTER DATABASE :db CONNECTION LIMIT 0' },
    { name: 'CREATE DATABASE', query: 'CREATE DATABASE escaped' },
    { name: 'an untrusted extension', query: 'CREATE EXTENSION dblink' },
    { name: 'an untrusted language', query: "CREATE FUNCTION escaped() RETURNS int LANGUAGE c AS 'x', 'y'" },
    { name: 'LOAD of a library', query: "LOAD 'auto_explain'" },
    {
      name: 'CREATE EVENT TRIGGER',
      query: 'CREATE EVENT TRIGGER escaped ON ddl_command_end EXECUTE FUNCTION now()',
    },
    { name: 'the superuser’s functions', query: 'DROP FUNCTION selfdb_internal.adopt_new_objects() CASCADE' },
    { name: 'the migration record', query: "DELETE FROM selfdb_migrations WHERE name LIKE '0030%'" },
  ];

  for (const { name, query } of cases) {
    for (const how of ['as written', 'inside DO … EXECUTE'] as const) {
      test(`${name} (${how}) is refused with a clear 4xx and changes nothing`, async () => {
        const statement = query.replaceAll(':db', `"${t.db.name}"`);
        const r = await sql(how === 'as written' ? statement : hidden(statement), {
          confirm_destructive: true,
        });
        assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${JSON.stringify(r.body)}`);
        assert.match(String(r.body.code), /^SQL_/);
        if (r.body.code === 'SQL_PERMISSION_DENIED') {
          assert.equal(r.status, 403);
          assert.match(
            String(r.body.detail),
            /selfdb_console, which is not a superuser.*SQL_CONSOLE_SUPERUSER/,
          );
        } else if (how === 'inside DO … EXECUTE') {
          // Only Postgres can refuse what the guard cannot see: by privilege, or (CREATE DATABASE) because it
          // cannot run in a transaction at all.
          assert.equal(name, 'CREATE DATABASE', JSON.stringify(r.body));
          assert.equal(r.body.code, 'SQL_ERROR', JSON.stringify(r.body));
        }
        assert.equal(existsSync(marker), false, 'a program or file write ran');
      });
    }
  }

  test('ALTER SYSTEM never reaches postgresql.auto.conf, as written or inside DO … EXECUTE', async () => {
    for (const text of ["ALTER SYSTEM SET work_mem = '1MB'", hidden("ALTER SYSTEM SET work_mem = '1MB'")]) {
      const r = await sql(text);
      assert.ok(r.status >= 400 && r.status < 500, JSON.stringify(r.body));
    }
    assert.equal(
      await scalar(
        "SELECT count(*)::int AS v FROM pg_file_settings WHERE name = 'work_mem' AND setting = '1MB'",
      ),
      0,
    );
  });

  test('afterwards nothing changed: no role, no settings, no rows, the roles as they were', async () => {
    assert.equal(await scalar("SELECT count(*)::int AS v FROM pg_roles WHERE rolname = 'escaped'"), 0);
    assert.equal(await scalar('SELECT count(*)::int AS v FROM escape_target'), 0);
    assert.equal(
      await scalar(
        "SELECT count(*)::int AS v FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname LIKE 'selfdb\\_%' OR s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())",
      ),
      0,
    );
    assert.equal(await scalar("SELECT count(*)::int AS v FROM selfdb_migrations WHERE name LIKE '0030%'"), 1);
    assert.equal(await scalar("SELECT count(*)::int AS v FROM pg_extension WHERE extname = 'dblink'"), 0);
    assert.equal(
      await scalar(
        "SELECT count(*)::int AS v FROM pg_event_trigger WHERE evtfoid = 'selfdb_internal.adopt_new_objects()'::regprocedure",
      ),
      1,
    );
    // A fresh console connection still logs in (its password was not changed).
    assert.equal((await sql('SELECT 1 AS ok')).status, 200);
  });
});

describe('the console still does everything an admin does to SelfDB’s data', () => {
  test('trusted extensions, schemas, functions and types can be created', async () => {
    const r = await sql(`CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
      CREATE SCHEMA reports;
      CREATE TABLE reports.daily (day date PRIMARY KEY, total int);
      CREATE TYPE mood AS ENUM ('ok', 'great');
      CREATE FUNCTION double_it(n int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT n * 2';
      SELECT double_it(21) AS v, uuid_generate_v4() IS NOT NULL AS u`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.data, [{ v: 42, u: true }]);
    const { rows } = await db.query(
      `SELECT (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'reports') AS schema,
              (SELECT relowner::regrole::text FROM pg_class WHERE oid = 'reports.daily'::regclass) AS tbl,
              (SELECT typowner::regrole::text FROM pg_type WHERE typname = 'mood') AS typ,
              (SELECT proowner::regrole::text FROM pg_proc WHERE proname = 'double_it') AS fn`,
    );
    assert.deepEqual(rows, [
      { schema: 'selfdb_owner', tbl: 'selfdb_owner', typ: 'selfdb_owner', fn: 'selfdb_owner' },
    ]);
  });

  test('SelfDB’s own tables can be read, and its users written', async () => {
    const r = await sql(
      "SELECT count(*)::int AS n FROM users WHERE email = 'admin@example.com' UNION ALL SELECT count(*)::int FROM sql_history",
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((r.body.data as { n: number }[])[0]!.n, 1);
    const renamed = await sql("UPDATE users SET first_name = 'Ada' WHERE email = 'admin@example.com'");
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  });

  test('a table made in the console works through the /tables API, which can drop it', async () => {
    const made = await sql(
      "CREATE TABLE gadgets (id serial PRIMARY KEY, label text NOT NULL); INSERT INTO gadgets (label) VALUES ('from sql')",
    );
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const listed = await call(t.app, 'GET', '/tables/?search=gadgets', { token });
    const id = String((listed.body as unknown as { id: string }[])[0]?.id);
    const inserted = await call(t.app, 'POST', `/tables/${id}/data`, { token, body: { label: 'from api' } });
    assert.equal(inserted.status, 200, JSON.stringify(inserted.body));
    const column = await call(t.app, 'POST', `/tables/${id}/columns`, {
      token,
      body: { name: 'price', type: 'integer', nullable: true },
    });
    assert.equal(column.status, 200, JSON.stringify(column.body));
    const data = await call(t.app, 'GET', `/tables/${id}/data`, { token });
    assert.equal(data.body.total, 2);
    assert.equal((await call(t.app, 'DELETE', `/tables/${id}`, { token })).status, 200);
    assert.equal(await scalar("SELECT to_regclass('public.gadgets') IS NULL AS v"), true);
  });

  test('a table made through the API (or straight in the database) can be altered and dropped in the console', async () => {
    const created = await call(t.app, 'POST', '/tables/', {
      token,
      body: { name: 'api_made', table_schema: { label: { type: 'text', nullable: true } } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await db.query('CREATE TABLE psql_made (id int PRIMARY KEY)');
    assert.equal(
      await scalar(
        "SELECT string_agg(DISTINCT relowner::regrole::text, ',') AS v FROM pg_class WHERE relname IN ('api_made', 'psql_made')",
      ),
      'selfdb_owner',
    );
    const altered = await sql(
      `ALTER TABLE api_made ADD COLUMN note text; CREATE INDEX ON api_made (note);
       ALTER TABLE psql_made ADD COLUMN note text; TRUNCATE psql_made; DROP TABLE psql_made`,
      { confirm_destructive: true },
    );
    assert.equal(altered.status, 200, JSON.stringify(altered.body));
    const after = await call(t.app, 'GET', `/tables/${String(created.body.id)}`, { token });
    assert.ok('note' in (after.body.table_schema as object), JSON.stringify(after.body.table_schema));
    const dropped = await sql('DROP TABLE api_made', { confirm_destructive: true });
    assert.equal(dropped.status, 200, JSON.stringify(dropped.body));
    assert.equal((await call(t.app, 'GET', `/tables/${String(created.body.id)}`, { token })).status, 404);
  });
});

describe('SQL_CONSOLE_SUPERUSER=true', () => {
  let su: TestApp;
  let suToken: string;
  before(async () => {
    su = await startTestApp({ SQL_CONSOLE_SUPERUSER: 'true' });
    suToken = (await login(su.app, ADMIN.email, ADMIN.password)).access_token;
  });
  after(() => su.close());

  test('gives the console the superuser, and what it creates is still SelfDB’s', async () => {
    const run = (query: string) => call(su.app, 'POST', '/sql/query', { token: suToken, body: { query } });
    const who = await run("SELECT current_user AS who, current_setting('is_superuser') AS super");
    assert.deepEqual(who.body.data, [{ who: 'postgres', super: 'on' }]);
    const program = await run(hidden("COPY (SELECT 1) TO PROGRAM 'cat > /dev/null'"));
    assert.equal(program.status, 200, JSON.stringify(program.body));
    assert.equal((await run('CREATE TABLE su_made (id int PRIMARY KEY)')).status, 200);
    const owner = await run("SELECT relowner::regrole::text AS o FROM pg_class WHERE relname = 'su_made'");
    assert.deepEqual(owner.body.data, [{ o: 'selfdb_owner' }]);
    const listed = await call(su.app, 'GET', '/tables/?search=su_made', { token: suToken });
    const id = String((listed.body as unknown as { id: string }[])[0]?.id);
    assert.equal((await call(su.app, 'DELETE', `/tables/${id}`, { token: suToken })).status, 200);
  });
});
