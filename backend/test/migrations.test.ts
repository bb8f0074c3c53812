// The migration runner: tracking with checksums, one advisory lock, a transaction per file, refusal on edits, and
// adoption of a database restored from a SelfDB 0.0.5 archive.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { MigrationError, runMigrations } from '../src/db/migrate.ts';
import { prepareDatabase } from '../src/prepare-database.ts';
import { call, login, testDatabaseUrls, testEnv } from './helpers.ts';

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
