// Pooled session state cannot leak (issue 10, part 3): a console script runs on a connection of its own (straight to
// Postgres, as selfdb_console, closed after the script), so whatever it leaves in its session never reaches an API
// request; and PgBouncer resets every server connection after each transaction (server_reset_query_always), so not
// even SQL a console user installs that runs inside API transactions (a row policy, a trigger) can poison the pool.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { runMigrations } from '../src/db/migrate.ts';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

const MIGRATIONS = new URL('../../database/migrations/', import.meta.url).pathname;

let t: TestApp;
let db: pg.Client;
let token: string;
let user: Awaited<ReturnType<typeof registerUser>>;

before(async () => {
  t = await startTestApp();
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  user = await registerUser(t.app, 'pool@example.com');
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
});
after(async () => {
  await db.end();
  await t.close();
});

const sql = (query: string) => call(t.app, 'POST', '/sql/query', { token, body: { query } });
const hidden = (statement: string) =>
  `DO $$ BEGIN EXECUTE convert_from(decode('${Buffer.from(statement).toString('base64')}', 'base64'), 'UTF8'); END $$`;

/** `count` GET /users/me (several at a time, so that many pooled connections answer), for two users. */
async function meStatuses(count = 60): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        call(t.app, 'GET', '/users/me', { token: (i + j) % 2 ? token : user.access_token }),
      ),
    );
    statuses.push(...batch.map((r) => r.status));
  }
  return statuses;
}

describe('a console script’s session ends with the script', () => {
  test('the issue’s statement, then 60 GET /users/me: every one answers 200', async () => {
    const poison = await sql("do $$ begin execute 'set search_path to pg_temp'; end $$");
    assert.equal(poison.status, 200, JSON.stringify(poison.body));
    assert.deepEqual(await meStatuses(), Array(60).fill(200));
  });

  test('settings, role, temporary tables, prepared statements, locks and LISTEN: none outlives its script', async () => {
    for (const statement of [
      'set search_path to pg_temp',
      'set role selfdb_owner',
      'set statement_timeout = 1',
      'set default_transaction_read_only = on',
      "set datestyle = 'SQL, DMY'",
      'set bytea_output = escape',
      "set timezone = 'Pacific/Kiritimati'",
      'create temp table users (id uuid, email text)',
      'create temp table sql_history (id int)',
      'prepare selfdb_leak as select 1',
      'select pg_advisory_lock(7345001)',
      'listen selfdb_changes',
    ]) {
      const r = await sql(hidden(statement));
      assert.equal(r.status, 200, `${statement}: ${JSON.stringify(r.body)}`);
    }
    assert.deepEqual(await meStatuses(), Array(60).fill(200));
    // Writes too (a read-only default would refuse them), and the next script starts clean.
    const patched = await call(t.app, 'PATCH', `/users/${user.id}`, {
      token: user.access_token,
      body: { firstName: 'Pool' },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const fresh = await sql(
      `SELECT current_setting('search_path') AS path, current_setting('statement_timeout') AS timeout,
         current_setting('DateStyle') AS style, current_setting('default_transaction_read_only') AS ro,
         (SELECT count(*)::int FROM pg_prepared_statements) AS prepared,
         (SELECT count(*)::int FROM pg_listening_channels()) AS listening,
         to_regclass('pg_temp.users') IS NULL AS no_temp`,
    );
    assert.deepEqual(fresh.body.data, [
      {
        path: '"$user", public',
        timeout: '30s',
        style: 'ISO, MDY',
        ro: 'off',
        prepared: 0,
        listening: 0,
        no_temp: true,
      },
    ]);
    // No console session is left holding anything: the advisory lock is free, so migrations still run.
    // A used console connection is closed as the script's answer goes out; its server process exits a moment later.
    let sessions = -1;
    for (let waited = 0; waited < 5000 && sessions !== 0; waited += 50) {
      if (waited > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      const { rows } = await db.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'selfdb_console' AND datname = current_database()",
      );
      sessions = rows[0].n;
    }
    assert.equal(sessions, 0);
    assert.deepEqual(await runMigrations(t.db.directUrl, MIGRATIONS, { info: () => {} }), []);
  });

  test('each script gets a connection of its own, never reused', async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const r = await sql('SELECT pg_backend_pid() AS pid');
      pids.add((r.body.data as { pid: number }[])[0]!.pid);
    }
    assert.equal(pids.size, 3);
  });
});

describe('PgBouncer resets every server connection after each transaction', () => {
  test('a row policy and a trigger that set session state inside API requests poison nothing', async () => {
    const installed = await sql(`
      CREATE FUNCTION poison() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM set_config('search_path', 'pg_temp', false);
        PERFORM set_config('default_transaction_read_only', 'on', false);
        PERFORM pg_try_advisory_lock(42);
        RETURN true;
      END $$;
      CREATE FUNCTION poison_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM poison();
        RETURN NULL;
      END $$;
      CREATE POLICY poison ON users USING (poison());
      ALTER TABLE users ENABLE ROW LEVEL SECURITY;
      ALTER TABLE users FORCE ROW LEVEL SECURITY;
      CREATE TRIGGER poison AFTER INSERT ON refresh_tokens FOR EACH STATEMENT EXECUTE FUNCTION poison_rows()`);
    assert.equal(installed.status, 200, JSON.stringify(installed.body));
    try {
      assert.deepEqual(await meStatuses(), Array(60).fill(200));
      const logins = await Promise.all(
        Array.from({ length: 20 }, () =>
          call(t.app, 'POST', '/users/token', { body: { email: user.email, password: user.password } }),
        ),
      );
      assert.deepEqual(
        logins.map((r) => r.status),
        Array(20).fill(200),
      );
      assert.deepEqual(await meStatuses(), Array(60).fill(200));
    } finally {
      await db.query(`ALTER TABLE users NO FORCE ROW LEVEL SECURITY; ALTER TABLE users DISABLE ROW LEVEL SECURITY;
        DROP POLICY poison ON users; DROP TRIGGER poison ON refresh_tokens`);
    }
  });
});
