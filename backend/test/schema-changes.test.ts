// The schema change log: event triggers record every DDL command (console, API-style transactions, any other
// client) with who and when; they never break the DDL they observe; the migration applies to a restored SelfDB 0.0.5
// database and, without superuser rights, still applies (with an empty log).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Static } from 'typebox';
import { runMigrations } from '../src/db/migrate.ts';
import { setSchemaChangeActor } from '../src/modules/schema/schema.repository.ts';
import type { SchemaChange } from '../src/routes/schema/schemas.ts';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

const MIGRATIONS = fileURLToPath(new URL('../../database/migrations/', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/selfdb_backup_20251205_143022.tar.gz', import.meta.url));
const CLUSTER = `postgresql://postgres:selfdb-test@127.0.0.1:${process.env.SELFDB_TEST_PG_PORT}`;

let t: TestApp;
let token: string;
let adminId: string;

before(async () => {
  t = await startTestApp();
  token = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  adminId = String((await call(t.app, 'GET', '/users/me', { token })).body.id);
});
after(() => t.close());

type Change = Static<typeof SchemaChange>;

async function changes(query = ''): Promise<{ changes: Change[]; total: number }> {
  const r = await call(t.app, 'GET', `/schema/changes${query}`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as never;
}
const about = async (identity: string) =>
  (await changes('?limit=500')).changes.filter((c) => c.object_identity === identity);

async function withClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
  appName?: string,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: appName });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('what is recorded', () => {
  test('console DDL: the admin, the console as client, the command and the object', async () => {
    const r = await call(t.app, 'POST', '/sql/query', {
      token,
      body: { query: 'CREATE TABLE audited (id int PRIMARY KEY); ALTER TABLE audited ADD COLUMN note text' },
    });
    assert.equal(r.status, 200);
    const rows = await about('public.audited');
    assert.deepEqual(
      rows.map((c) => [c.event, c.command_tag, c.object_type]),
      [
        ['ddl_command_end', 'ALTER TABLE', 'table'],
        ['ddl_command_end', 'CREATE TABLE', 'table'],
      ],
    );
    for (const row of rows) {
      assert.equal(row.user_id, adminId);
      assert.equal(row.user_email, ADMIN.email);
      assert.equal(row.application_name, 'selfdb-sql-console');
      assert.equal(row.db_user, 'selfdb_console');
      assert.equal(row.schema_name, 'public');
      assert.ok(Date.now() - Date.parse(row.occurred_at) < 60_000);
    }
  });

  test('a drop is recorded once for the table, not for its parts', async () => {
    await call(t.app, 'POST', '/sql/query', {
      token,
      body: { query: 'DROP TABLE audited', confirm_destructive: true },
    });
    const drops = (await about('public.audited')).filter((c) => c.event === 'sql_drop');
    assert.deepEqual(
      drops.map((c) => [c.command_tag, c.object_type, c.user_id]),
      [['DROP TABLE', 'table', adminId]],
    );
    const parts = (await changes('?limit=500')).changes.filter(
      (c) => c.event === 'sql_drop' && c.object_identity?.includes('audited_pkey'),
    );
    assert.deepEqual(parts, []);
  });

  test('DDL from any other client is recorded too, without a SelfDB user', async () => {
    await withClient(t.db.directUrl, (c) => c.query('CREATE INDEX by_psql ON users (last_name)'), 'psql');
    const [row] = await about('public.by_psql');
    assert.equal(row?.command_tag, 'CREATE INDEX');
    assert.equal(row?.user_id, null);
    assert.equal(row?.application_name, 'psql');
  });

  test('a transaction naming its user (setSchemaChangeActor, through PgBouncer) is attributed, and only it', async () => {
    const other = await registerUser(t.app, 'api-user@example.com');
    await withClient(t.db.pooledUrl, async (c) => {
      await c.query('BEGIN');
      await setSchemaChangeActor(c, other.id);
      await c.query('CREATE TABLE via_api (x int)');
      await c.query('COMMIT');
      await c.query('CREATE TABLE after_api (x int)');
    });
    assert.equal((await about('public.via_api'))[0]?.user_id, other.id);
    assert.equal((await about('public.via_api'))[0]?.user_email, 'api-user@example.com');
    assert.equal((await about('public.after_api'))[0]?.user_id, null);
  });

  test('rolled-back DDL leaves no entry', async () => {
    await withClient(t.db.directUrl, async (c) => {
      await c.query('BEGIN');
      await c.query('CREATE TABLE never_was (x int)');
      await c.query('ROLLBACK');
    });
    assert.deepEqual(await about('public.never_was'), []);
  });
});

describe('paging', () => {
  test('newest first, skip and limit, with the total', async () => {
    const all = await changes('?limit=500');
    assert.ok(all.total >= 5);
    assert.equal(all.changes.length, all.total);
    const ids = all.changes.map((c) => c.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
    );
    const page = await changes('?skip=1&limit=2');
    assert.deepEqual(
      page.changes.map((c) => c.id),
      ids.slice(1, 3),
    );
    assert.equal(page.total, all.total);
  });

  test('bad paging parameters are refused', async () => {
    for (const [query, status] of [
      ['?limit=0', 422],
      ['?limit=501', 422],
      ['?skip=-1', 422],
      ['?page=2', 400],
    ] as const) {
      const r = await call(t.app, 'GET', `/schema/changes${query}`, { token });
      assert.equal(r.status, status, query);
    }
  });
});

describe('the log never breaks DDL', () => {
  test('with the log table renamed away, DDL still works (and is not recorded)', async () => {
    await withClient(t.db.directUrl, async (c) => {
      await c.query('ALTER TABLE selfdb_schema_changes RENAME TO schema_changes_away');
      try {
        await c.query('CREATE TABLE while_broken (x int); DROP TABLE while_broken');
      } finally {
        await c.query('ALTER TABLE schema_changes_away RENAME TO selfdb_schema_changes');
      }
    });
    assert.deepEqual(await about('public.while_broken'), []);
  });

  test('a malformed selfdb.user_id is recorded as no user', async () => {
    await withClient(t.db.directUrl, async (c) => {
      await c.query("SELECT set_config('selfdb.user_id', 'not-a-uuid', false)");
      await c.query('CREATE TABLE odd_user (x int)');
    });
    assert.equal((await about('public.odd_user'))[0]?.user_id, null);
  });
});

describe('the migration', () => {
  test('applies to a database restored from a SelfDB 0.0.5 archive, which then logs its DDL', async () => {
    const name = `sc_${Math.random().toString(36).slice(2, 10)}`;
    await withClient(`${CLUSTER}/postgres`, (c) => c.query(`CREATE DATABASE ${name}`));
    const url = `${CLUSTER}/${name}`;
    const dir = mkdtempSync(join(tmpdir(), 'selfdb-fixture-'));
    try {
      execFileSync('tar', ['xzf', FIXTURE, '-C', dir, 'database.sql']);
      execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', join(dir, 'database.sql')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const applied = await runMigrations(url, MIGRATIONS, { info: () => {} });
      assert.ok(applied.includes('0010_schema_change_log.sql'));
      const logged = await withClient(url, async (c) => {
        // Later migrations may change products too (0034 gives it its id default and key): only what follows counts.
        const { rows } = await c.query<{ last: string }>(
          'SELECT coalesce(max(id), 0) AS last FROM selfdb_schema_changes',
        );
        await c.query('ALTER TABLE products ADD COLUMN sku text');
        return (
          await c.query(
            "SELECT command_tag FROM selfdb_schema_changes WHERE object_identity = 'public.products' AND id > $1",
            [rows[0]?.last],
          )
        ).rows;
      });
      assert.deepEqual(logged, [{ command_tag: 'ALTER TABLE' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without superuser rights it still applies, warns, and DDL keeps working unlogged', async () => {
    const suffix = Math.random().toString(36).slice(2, 10);
    const role = `plain_${suffix}`;
    const name = `ns_${suffix}`;
    await withClient(`${CLUSTER}/postgres`, async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'plain-pass'`);
      await c.query(`CREATE DATABASE ${name} OWNER ${role}`);
    });
    try {
      const url = `postgresql://${role}:plain-pass@127.0.0.1:${process.env.SELFDB_TEST_PG_PORT}/${name}`;
      const sql = readFileSync(join(MIGRATIONS, '0010_schema_change_log.sql'), 'utf8');
      const warnings: string[] = [];
      await withClient(url, async (c) => {
        c.on('notice', (notice) => warnings.push(notice.message ?? ''));
        await c.query('BEGIN');
        await c.query(sql);
        await c.query('COMMIT');
        await c.query('CREATE TABLE still_works (x int)');
        assert.equal((await c.query('SELECT count(*)::int AS n FROM selfdb_schema_changes')).rows[0].n, 0);
        assert.equal((await c.query('SELECT count(*)::int AS n FROM pg_event_trigger')).rows[0].n, 0);
      });
      assert.ok(
        warnings.some((w) => /is not a superuser/.test(w)),
        warnings.join('; '),
      );
    } finally {
      await withClient(`${CLUSTER}/postgres`, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
        await c.query(`DROP ROLE IF EXISTS ${role}`);
      });
    }
  });
});
