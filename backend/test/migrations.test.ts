// The migration runner: tracking with checksums, one advisory lock, a transaction per file, refusal on edits,
// adoption of a database restored from a SelfDB 0.0.5 archive, and least privilege: the upgrade of an install made by
// earlier versions (everything the superuser's) to SelfDB's roles, and the repair of those roles on every run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { MigrationError, runMigrations } from '../src/db/migrate.ts';
import { prepareDatabase } from '../src/prepare-database.ts';
import { startTestStack } from '../../scripts/lib/test-stack.ts';
import { ADMIN, call, login, testDatabaseUrls, testEnv } from './helpers.ts';

const MIGRATIONS = fileURLToPath(new URL('../../database/migrations/', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/selfdb_backup_20251205_143022.tar.gz', import.meta.url));
const silent = { info: () => {} };
const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** An empty database (not from the migrated template). */
async function emptyDatabase() {
  const name = `m_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrls('postgres').directUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return testDatabaseUrls(name);
}

async function rows<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

function copyMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'selfdb-migrations-'));
  temps.push(dir);
  cpSync(MIGRATIONS, dir, { recursive: true });
  return dir;
}

test('applies every migration once, records checksums, and a second run applies nothing', async () => {
  const db = await emptyDatabase();
  const applied = await runMigrations(db.directUrl, MIGRATIONS, silent);
  assert.ok(applied.length >= 2);
  assert.deepEqual(applied, [...applied].sort());
  assert.deepEqual(await runMigrations(db.directUrl, MIGRATIONS, silent), []);
  const tracked = await rows<{ name: string; checksum: string }>(
    db.directUrl,
    'SELECT name, checksum FROM selfdb_migrations',
  );
  assert.deepEqual(
    tracked.map((r) => r.name),
    applied,
  );
  assert.ok(tracked.every((r) => /^[0-9a-f]{64}$/.test(r.checksum)));
  const tables = await rows<{ table_name: string }>(
    db.directUrl,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
  );
  for (const name of [
    'users',
    'refresh_tokens',
    'system_config',
    'tables',
    'sql_history',
    'sql_snippets',
    'buckets',
    'files',
  ]) {
    assert.ok(
      tables.some((r) => r.table_name === name),
      name,
    );
  }
});

test('backends starting together never race: four concurrent runners, each migration applied once', async () => {
  const db = await emptyDatabase();
  const results = await Promise.all([1, 2, 3, 4].map(() => runMigrations(db.directUrl, MIGRATIONS, silent)));
  const all = results.flat();
  assert.equal(new Set(all).size, all.length, 'no migration applied twice');
  const tracked = await rows(db.directUrl, 'SELECT name FROM selfdb_migrations');
  assert.equal(tracked.length, all.length);
});

test('refuses to start when an applied migration was edited', async () => {
  const db = await emptyDatabase();
  const dir = copyMigrations();
  await runMigrations(db.directUrl, dir, silent);
  const file = join(dir, '0001_system_schema.sql');
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- edited\n`);
  await assert.rejects(runMigrations(db.directUrl, dir, silent), (err: Error) => {
    assert.ok(err instanceof MigrationError);
    assert.match(err.message, /0001_system_schema\.sql was edited/);
    return true;
  });
});

test('refuses a database migrated by a newer version', async () => {
  const db = await emptyDatabase();
  const dir = copyMigrations();
  writeFileSync(join(dir, '9999_from_the_future.sql'), 'SELECT 1;');
  await runMigrations(db.directUrl, dir, silent);
  await assert.rejects(
    runMigrations(db.directUrl, MIGRATIONS, silent),
    /9999_from_the_future\.sql, which this version/,
  );
});

test('a failing migration is rolled back whole and not recorded', async () => {
  const db = await emptyDatabase();
  const dir = copyMigrations();
  writeFileSync(
    join(dir, '9000_broken.sql'),
    'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;',
  );
  await assert.rejects(
    runMigrations(db.directUrl, dir, silent),
    /9000_broken\.sql failed and was rolled back/,
  );
  const half = await rows(
    db.directUrl,
    "SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'",
  );
  assert.equal(half.length, 0);
  const tracked = await rows<{ name: string }>(db.directUrl, 'SELECT name FROM selfdb_migrations');
  assert.equal(
    tracked.some((r) => r.name === '9000_broken.sql'),
    false,
  );
});

test('adopts a database restored from a SelfDB 0.0.5 archive: its users log in with their old passwords', async () => {
  const db = await emptyDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'selfdb-fixture-'));
  temps.push(dir);
  execFileSync('tar', ['xzf', FIXTURE, '-C', dir, 'database.sql']);
  execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', db.directUrl, '-f', join(dir, 'database.sql')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const config = loadConfig(testEnv(db));
  await prepareDatabase(config, silent);
  const app = await buildApp(config, { logger: false });
  try {
    const alice = await login(app, 'alice@example.com', 'alicepass123');
    const me = await call(app, 'GET', '/users/me', { token: alice.access_token });
    assert.equal(me.body.email, 'alice@example.com');
    assert.equal(me.body.role, 'USER');
    const admin = await login(app, 'admin@example.com', 'password');
    assert.equal(
      (await call(app, 'GET', '/users/count', { token: admin.access_token })).body,
      3,
      'no second admin seeded',
    );
    const bob = await call(app, 'POST', '/users/token', {
      body: { email: 'bob@example.com', password: 'bobpass12345' },
    });
    assert.equal(bob.status, 400);
    assert.equal(bob.body.detail, 'Inactive user');
    assert.equal((await call(app, 'GET', '/system/status')).body.initialized, true);
  } finally {
    await app.close();
  }
});

/** Applies migration files the way the runner of earlier versions did: every one as the superuser, nothing else. */
async function migrateLikeEarlierVersions(url: string, names: string[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE selfdb_migrations (
      name TEXT PRIMARY KEY, checksum CHAR(64) NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())`);
    for (const name of names) {
      const text = readFileSync(join(MIGRATIONS, name), 'utf8');
      await client.query('BEGIN');
      await client.query(text);
      await client.query('INSERT INTO selfdb_migrations (name, checksum) VALUES ($1, $2)', [
        name,
        createHash('sha256').update(text).digest('hex'),
      ]);
      await client.query('COMMIT');
    }
  } finally {
    await client.end();
  }
}

/** Objects of SelfDB's schemas (and any other non-system one) that selfdb_owner does not own. */
const NOT_OWNED = `
  SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'selfdb_internal')
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relowner <> 'selfdb_owner'::regrole
    AND c.oid <> 'public.selfdb_migrations'::regclass
  UNION ALL
  SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'selfdb_internal')
    AND p.proowner <> 'selfdb_owner'::regrole
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  UNION ALL
  SELECT nspname FROM pg_namespace
  WHERE nspname !~ '^pg_' AND nspname NOT IN ('information_schema', 'selfdb_internal', 'public')
    AND nspowner <> 'selfdb_owner'::regrole
  ORDER BY 1`;

test('upgrades an install made by earlier versions: every object, user tables included, becomes SelfDB’s', async () => {
  const db = await emptyDatabase();
  const earlier = readdirSync(MIGRATIONS)
    .filter((name) => /^\d{4}_.*\.sql$/.test(name) && name < '0030')
    .sort();
  await migrateLikeEarlierVersions(db.directUrl, earlier);
  // What earlier versions made as the superuser: a user, a realtime table through the API, objects in the console.
  await rows(
    db.directUrl,
    `INSERT INTO users (email, password, first_name, last_name) VALUES ('legacy@example.com', 'x', 'L', 'U');
     CREATE TABLE old_notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), body text, created_at timestamptz DEFAULT now());
     INSERT INTO old_notes (body) VALUES ('kept');
     INSERT INTO tables (name, table_schema, public, owner_id, realtime_enabled)
       SELECT 'old_notes', '{"id": {"type": "uuid"}, "body": {"type": "text"}}', true, id, true FROM users;
     SELECT realtime.enable_capture('public.old_notes');
     CREATE FUNCTION old_fn() RETURNS int LANGUAGE sql AS 'SELECT 7';
     CREATE VIEW old_view AS SELECT body FROM old_notes;
     CREATE SCHEMA old_schema;
     CREATE TABLE old_schema.stuff (id int)`,
  );
  assert.ok((await rows(db.directUrl, NOT_OWNED)).length > 20, 'the earlier install is the superuser’s');

  const later = readdirSync(MIGRATIONS)
    .filter((name) => /^\d{4}_.*\.sql$/.test(name) && name >= '0030')
    .sort();
  assert.deepEqual(await runMigrations(db.directUrl, MIGRATIONS, silent), later);
  assert.deepEqual(await rows(db.directUrl, NOT_OWNED), []);
  assert.deepEqual(
    await rows(
      db.directUrl,
      `SELECT (SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()) AS db,
              (SELECT relowner::regrole::text FROM pg_class WHERE relname = 'selfdb_migrations') AS migrations,
              to_regprocedure('public.selfdb_log_schema_change()') IS NULL AS old_log_gone,
              (SELECT string_agg(evtfoid::regprocedure::text, ',' ORDER BY evtname) FROM pg_event_trigger) AS triggers`,
    ),
    [
      {
        db: 'postgres',
        migrations: 'postgres',
        old_log_gone: true,
        triggers:
          'selfdb_internal.adopt_new_objects(),selfdb_internal.log_schema_change(),selfdb_internal.log_schema_change()',
      },
    ],
  );
  assert.deepEqual(await runMigrations(db.directUrl, MIGRATIONS, silent), [], 'a re-run changes nothing');

  const config = loadConfig(testEnv(db));
  await prepareDatabase(config, silent);
  const app = await buildApp(config, { logger: false });
  try {
    const token = (await login(app, ADMIN.email, ADMIN.password)).access_token;
    const listed = await call(app, 'GET', '/tables/?search=old_notes', { token });
    const id = String((listed.body as unknown as { id: string }[])[0]?.id);
    assert.equal(
      (await call(app, 'POST', `/tables/${id}/data`, { token, body: { body: 'new' } })).status,
      200,
    );
    assert.equal((await call(app, 'GET', `/tables/${id}/data`, { token })).body.total, 2);
    const console = await call(app, 'POST', '/sql/query', {
      token,
      body: {
        query:
          'ALTER TABLE old_notes ADD COLUMN extra int; INSERT INTO old_schema.stuff VALUES (1); SELECT old_fn() AS v, count(*)::int AS n FROM old_view',
      },
    });
    assert.equal(console.status, 200, JSON.stringify(console.body));
    assert.deepEqual(console.body.data, [{ v: 7, n: 2 }]);
    const logged = await rows<{ command_tag: string; db_user: string }>(
      db.directUrl,
      "SELECT command_tag, db_user FROM selfdb_schema_changes WHERE object_identity = 'public.old_notes' AND id > (SELECT min(id) FROM selfdb_schema_changes WHERE object_identity = 'public.old_notes')",
    );
    assert.deepEqual(logged, [{ command_tag: 'ALTER TABLE', db_user: 'selfdb_console' }]);
    const view = await call(app, 'POST', '/sql/query', {
      token,
      body: { query: 'DROP VIEW old_view', confirm_destructive: true },
    });
    assert.equal(view.status, 200, JSON.stringify(view.body));
    const dropped = await call(app, 'DELETE', `/tables/${id}`, { token });
    assert.equal(dropped.status, 200, JSON.stringify(dropped.body));
  } finally {
    await app.close();
  }
});

test('every run puts the roles back: attributes, password, memberships, settings, owners', async () => {
  // Roles belong to the whole cluster: this test changes them on a cluster of its own.
  const stack = await startTestStack(fileURLToPath(new URL('../..', import.meta.url)));
  try {
    await rows(stack.directUrl('postgres'), 'CREATE DATABASE repair');
    const url = stack.directUrl('repair');
    await runMigrations(url, MIGRATIONS, silent);
    await rows(
      url,
      `ALTER ROLE selfdb_app SUPERUSER CREATEROLE PASSWORD 'wrong';
       ALTER ROLE selfdb_console BYPASSRLS CONNECTION LIMIT 1;
       ALTER ROLE selfdb_owner LOGIN PASSWORD 'owner';
       ALTER ROLE selfdb_console SET search_path = pg_temp;
       ALTER ROLE selfdb_app IN DATABASE repair SET default_transaction_read_only = on;
       GRANT pg_execute_server_program TO selfdb_console;
       GRANT selfdb_app TO selfdb_console;
       ALTER DATABASE repair OWNER TO selfdb_app;
       ALTER TABLE users OWNER TO postgres;
       ALTER EVENT TRIGGER selfdb_adopt_objects DISABLE`,
    );
    assert.deepEqual(await runMigrations(url, MIGRATIONS, silent, { rolePassword: 'rotated-pw' }), []);
    assert.deepEqual(
      await rows(
        url,
        `SELECT rolname, rolsuper OR rolcreaterole OR rolbypassrls OR rolconnlimit <> -1 AS privileged, rolcanlogin,
           rolpassword IS NOT NULL AS has_password
         FROM pg_authid WHERE rolname LIKE 'selfdb\\_%' ORDER BY rolname`,
      ),
      [
        { rolname: 'selfdb_app', privileged: false, rolcanlogin: true, has_password: true },
        { rolname: 'selfdb_console', privileged: false, rolcanlogin: true, has_password: true },
        { rolname: 'selfdb_owner', privileged: false, rolcanlogin: false, has_password: false },
      ],
    );
    assert.deepEqual(
      await rows(
        url,
        `SELECT (SELECT count(*)::int FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                 WHERE r.rolname LIKE 'selfdb\\_%') AS settings,
                (SELECT string_agg(r.rolname || '>' || m.rolname, ',' ORDER BY m.rolname) FROM pg_auth_members a
                 JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
                 WHERE m.rolname LIKE 'selfdb\\_%') AS memberships,
                (SELECT datdba::regrole::text FROM pg_database WHERE datname = 'repair') AS db,
                (SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.users'::regclass) AS users,
                (SELECT evtenabled FROM pg_event_trigger WHERE evtname = 'selfdb_adopt_objects') AS adopt`,
      ),
      [
        {
          settings: 0,
          memberships: 'selfdb_owner>selfdb_app,selfdb_owner>selfdb_console',
          db: 'postgres',
          users: 'selfdb_owner',
          adopt: 'O',
        },
      ],
    );
    // Both login roles now take the password given to the runner (POSTGRES_PASSWORD), and no other.
    for (const role of ['selfdb_app', 'selfdb_console']) {
      const direct = new URL(url);
      direct.username = role;
      direct.password = 'rotated-pw';
      assert.deepEqual(await rows(direct.toString(), 'SELECT current_user AS who'), [{ who: role }]);
      direct.password = 'wrong';
      await assert.rejects(rows(direct.toString(), 'SELECT 1'), /password authentication failed/);
    }
  } finally {
    await stack.stop();
  }
});
