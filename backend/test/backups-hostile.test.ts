// Archives that try to run code on the server through a restore: programs, server files, roles, server and role
// settings, untrusted and unneeded extensions, large objects; written as plain statements (which the filter refuses
// with a clear reason) and hidden in DO blocks (which reach Postgres, where the role that loads the archive has no
// right to any of it). Each one fails with a clear 400, one line, no secret in it; no file appears, no role or
// database is left, the live data does not change. Also: gzip-bomb manifests, and a manifest that turns out bad
// at the end of the archive, before which no SQL may run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createGzip } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { Header } from 'tar';
import { runMigrations } from '../src/db/migrate.ts';
import { API_KEY, call } from './helpers.ts';
import {
  type BackupsTestApp,
  cliService,
  craftArchive,
  databaseFingerprint,
  FIXTURE,
  folderFingerprint,
  leftovers,
  query,
  startBackupsApp,
  uploadRestore,
} from './backups-helpers.ts';

const MIGRATIONS_DIR = new URL('../../database/migrations', import.meta.url).pathname;

let live: BackupsTestApp;
const work = mkdtempSync(join(tmpdir(), 'selfdb-hostile-'));
// Postgres (another OS user) must be able to write here, so that a command that did run would leave its file.
execFileSync('chmod', ['777', work]);
const fixtureSql = execFileSync('tar', ['-xzOf', FIXTURE, 'database.sql'], { encoding: 'utf8' });
const FIXTURE_ENV = 'SECRET_KEY=fixture-secret-key-0123456789\nPOSTGRES_PASSWORD=fixture-db-password\n';

before(async () => {
  live = await startBackupsApp();
  const created = await call(live.app, 'POST', '/users/', {
    body: { email: 'keep-me@example.com', password: 'KeepMe12345', firstName: 'Keep', lastName: 'Me' },
  });
  assert.equal(created.status, 201);
  await query(live.db.directUrl, 'CREATE TABLE precious (id int); INSERT INTO precious VALUES (1), (2)');
  mkdirSync(join(live.storageDir, 'live-bucket'));
  writeFileSync(join(live.storageDir, 'live-bucket', 'keep.txt'), 'live bytes');
});
after(async () => {
  await live?.close();
  rmSync(work, { recursive: true, force: true });
});

async function liveState() {
  return {
    database: await databaseFingerprint(live.db.directUrl),
    storage: folderFingerprint(live.storageDir),
    leftovers: await leftovers(live),
    roles: await query<{ rolname: string }>(
      live.db.directUrl,
      "SELECT rolname FROM pg_roles WHERE rolname = 'evil'",
    ),
  };
}

/** SelfDB 0.0.5's archive with `statement` after its SQL, and an .env of its own. */
const hostileArchive = (statement: string) =>
  craftArchive([
    { name: 'database.sql', data: `${fixtureSql}\n${statement}\n` },
    { name: '.env', data: FIXTURE_ENV },
  ]);

const hidden = (sql: string) => `DO $$ BEGIN EXECUTE ${pgLiteral(sql)}; END $$;`;
const pgLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

describe('hostile statements', () => {
  const marker = join(work, `pwned-${randomBytes(4).toString('hex')}`);
  const envFile = '.env';
  const cases: [string, string, RegExp][] = [
    ['COPY TO PROGRAM', `COPY (SELECT 1) TO PROGRAM 'id > ${marker}';`, /runs a program on the server/],
    [
      'COPY TO PROGRAM in a DO block',
      hidden(`COPY (SELECT 1) TO PROGRAM 'id > ${marker}'`),
      /must be superuser or have privileges of the pg_execute_server_program role/,
    ],
    [
      'COPY FROM PROGRAM',
      `CREATE TABLE public.leak (t text);\nCOPY public.leak FROM PROGRAM 'cat ${envFile}';`,
      /runs a program/,
    ],
    [
      'COPY FROM PROGRAM in a DO block',
      `CREATE TABLE public.leak (t text);\n${hidden(`COPY public.leak FROM PROGRAM 'cat ${envFile}'`)}`,
      /pg_execute_server_program/,
    ],
    [
      'COPY FROM a server file',
      "CREATE TABLE public.leak (t text);\nCOPY public.leak FROM '/etc/passwd';",
      /reads or writes a file/,
    ],
    [
      'COPY TO a server file in a DO block',
      hidden(`COPY (SELECT 1) TO '${marker}'`),
      /must be superuser or have privileges of the pg_write_server_files role/,
    ],
    ['CREATE ROLE', 'CREATE ROLE evil SUPERUSER LOGIN;', /changes database roles/],
    ['CREATE ROLE in a DO block', hidden('CREATE ROLE evil LOGIN'), /permission denied to create role/],
    [
      'CREATE ROLE SUPERUSER in a DO block',
      hidden('CREATE ROLE evil SUPERUSER'),
      /must be superuser to create superusers/,
    ],
    ['pg_read_file', "SELECT pg_read_file('/etc/passwd');", /permission denied for function pg_read_file/],
    ['pg_ls_dir', "SELECT pg_ls_dir('.');", /permission denied for function pg_ls_dir/],
    ['ALTER SYSTEM', "ALTER SYSTEM SET log_statement = 'all';", /ALTER SYSTEM/],
    // Indented, it is not seen as a statement by the filter: the role is what stops it.
    [
      'ALTER SYSTEM, indented',
      "  ALTER SYSTEM SET log_statement = 'all';",
      /permission denied to set parameter/,
    ],
    [
      'COPY TO PROGRAM, indented',
      `  COPY (SELECT 1) TO PROGRAM 'id > ${marker}';`,
      /pg_execute_server_program/,
    ],
    ['an untrusted extension', 'CREATE EXTENSION dblink;', /creates the extension "dblink"/],
    [
      'an untrusted extension in a DO block',
      hidden('CREATE EXTENSION adminpack'),
      /permission denied to create extension "adminpack"/,
    ],
    [
      'a trusted extension SelfDB does not use',
      hidden('CREATE EXTENSION hstore SCHEMA public'),
      /created the extension hstore: a restore may create only plpgsql, pgcrypto/,
    ],
    ['ALTER ROLE CURRENT_USER SUPERUSER', 'ALTER ROLE CURRENT_USER SUPERUSER;', /changes database roles/],
    [
      'ALTER ROLE in a DO block',
      hidden('ALTER ROLE CURRENT_USER SUPERUSER'),
      /must be superuser to alter superuser/,
    ],
    [
      'ALTER ROLE CREATEROLE in a DO block',
      hidden('ALTER ROLE CURRENT_USER CREATEROLE'),
      /permission denied/,
    ],
    [
      'ALTER ROLE CURRENT_USER SET',
      hidden("ALTER ROLE CURRENT_USER SET work_mem = '64MB'"),
      /ALTER ROLE\/DATABASE/,
    ],
    [
      'ALTER ROLE CURRENT_USER PASSWORD',
      hidden("ALTER ROLE CURRENT_USER PASSWORD 'known'"),
      /changed the role/,
    ],
    [
      'ALTER DATABASE ... SET',
      "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = evil', current_database()); END $$;",
      /ALTER ROLE\/DATABASE/,
    ],
    ['SET ROLE to the superuser', 'SET ROLE postgres;', /permission denied to set role/],
    [
      'SET SESSION AUTHORIZATION in a DO block',
      hidden('SET SESSION AUTHORIZATION postgres'),
      /permission denied to set session authorization/,
    ],
    [
      'lo_import of a server file',
      "SELECT lo_import('/etc/passwd');",
      /permission denied for function lo_import/,
    ],
    ['lo_export to a server file', `SELECT lo_export(lo_from_bytea(0, 'x'), '${marker}');`, /lo_export/],
    [
      // The migration runner reads its record as the superuser: a view there would run the archive's function so.
      'selfdb_migrations as a view calling a function',
      `CREATE TABLE public.real_m (name text PRIMARY KEY, checksum char(64), applied_at timestamptz DEFAULT now());
CREATE FUNCTION public.sneaky() RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE VIEW public.selfdb_migrations AS SELECT * FROM public.real_m WHERE public.sneaky();`,
      /made selfdb_migrations something other than SelfDB’s own table/,
    ],
    [
      // A default the superuser's INSERT of the next migration would evaluate with its rights.
      'selfdb_migrations with a column whose default calls a function',
      `CREATE FUNCTION public.sneaky_default() RETURNS text LANGUAGE sql AS 'SELECT current_user::text';
CREATE TABLE public.selfdb_migrations (name text PRIMARY KEY, checksum char(64), applied_at timestamptz DEFAULT now(),
  by_whom text DEFAULT public.sneaky_default());`,
      /made selfdb_migrations something other than SelfDB’s own table/,
    ],
    [
      'a template staging database that then fails',
      "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I IS_TEMPLATE true', current_database()); END $$;\nSELECT 1/0;",
      /division by zero/,
    ],
  ];

  test('each fails with 400 RESTORE_FAILED and a one-line reason; nothing ran, nothing is left, nothing changed', async () => {
    const before = await liveState();
    assert.deepEqual(before.leftovers, []);
    const mismatches: string[] = [];
    for (const [what, statement, reason] of cases) {
      const refused = await uploadRestore(live, hostileArchive(statement));
      if (!reason.test(String(refused.body.detail)))
        mismatches.push(`${what}: ${String(refused.body.detail)}`);
      assert.equal(refused.status, 400, `${what}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.code, 'RESTORE_FAILED', what);
      const detail = String(refused.body.detail);
      assert.match(detail, /^database\.sql could not be loaded: /, what);
      assert.ok(!detail.includes('\n'), `${what}: one line`);
      assert.ok(!detail.includes('fixture-secret-key') && !detail.includes('from-the-env-file'), what);
      assert.equal(existsSync(marker), false, `${what}: the command ran`);
      assert.deepEqual(await liveState(), before, `${what} changed something`);
    }
    assert.deepEqual(mismatches, [], 'each says why');
    assert.equal((await call(live.app, 'GET', '/system/status')).body.initialized, false);
  });
});

test('error details: one line, and the server’s secrets and the archive’s .env values are redacted', async () => {
  const before = await liveState();
  const secrets = ['tok-very-secret-4242', 'dbpass-9999', API_KEY, 'urlpass-7777', 'selfdb-test'];
  const archive = craftArchive([
    {
      name: 'database.sql',
      data: `SELECT 1;\nSELECT 'tok-very-secret-4242 dbpass-9999 ${API_KEY} postgresql://u:urlpass-7777@h/d selfdb-test'::int;\n`,
    },
    {
      name: '.env',
      data: 'MY_TOKEN=tok-very-secret-4242\nDATABASE_URL=postgresql://app:dbpass-9999@db:5432/selfdb\n',
    },
  ]);
  const refused = await uploadRestore(live, archive);
  assert.equal(refused.status, 400);
  const detail = String(refused.body.detail);
  assert.match(
    detail,
    /^database\.sql could not be loaded: ERROR: invalid input syntax for type integer: .*\(database\.sql line 2\)$/,
  );
  for (const secret of secrets) assert.ok(!detail.includes(secret), `${secret} in ${detail}`);
  assert.match(detail, /\[redacted\]/);
  // The progress the login page polls says the same, no more (here through the CLI's service).
  const path = join(work, 'secrets.tar.gz');
  writeFileSync(path, archive);
  const cli = cliService(live);
  try {
    await assert.rejects(cli.service.restoreFile(path), (err: Error) => err.message === detail);
    assert.equal(cli.service.progress.snapshot().error, detail);
    assert.ok(!cli.lines.some((line) => secrets.some((secret) => line.includes(secret))), 'nor in the log');
  } finally {
    await cli.close();
  }
  assert.deepEqual(await liveState(), before);
});

/** A .tar.gz whose manifest.json declares (and holds) `size` bytes of JSON whitespace: tiny once compressed. */
async function manifestBomb(size: number): Promise<Buffer> {
  const sql = Buffer.from('SELECT 1;\n');
  const header = (name: string, length: number) => {
    const h = new Header({
      path: name,
      mode: 0o644,
      size: length,
      mtime: new Date(),
      type: 'File',
      uid: 0,
      gid: 0,
    });
    h.encode();
    return h.block as Buffer;
  };
  const pad = (length: number) => Buffer.alloc((512 - (length % 512)) % 512);
  function* parts() {
    yield header('database.sql', sql.length);
    yield sql;
    yield pad(sql.length);
    yield header('manifest.json', size);
    yield Buffer.from('[');
    const spaces = Buffer.alloc(1024 * 1024, 0x20);
    let left = size - 2;
    while (left > 0) {
      const piece = spaces.subarray(0, Math.min(left, spaces.length));
      left -= piece.length;
      yield piece;
    }
    yield Buffer.from(']');
    yield pad(size);
    yield Buffer.alloc(1024);
  }
  return buffer(Readable.from(parts()).pipe(createGzip({ level: 9 })));
}

test('a 200 MB manifest.json in a small gzip bomb is refused before it is read; memory stays flat', async () => {
  const bomb = await manifestBomb(200 * 1024 * 1024);
  assert.ok(bomb.length < 400 * 1024, `${bomb.length} bytes`);
  const rss = process.memoryUsage().rss;
  const refused = await uploadRestore(live, bomb);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'BACKUP_INVALID');
  assert.match(String(refused.body.detail), /^manifest\.json is too large/);
  assert.ok(process.memoryUsage().rss - rss < 100 * 1024 * 1024, 'the manifest was not read into memory');
  assert.deepEqual(await leftovers(live), []);
});

test('a manifest under the size cap but made of millions of tiny values is refused before JSON.parse', async () => {
  const values = `[${'{},'.repeat(1_300_000)}{}]`;
  const archive = craftArchive([
    { name: 'database.sql', data: 'SELECT 1;\n' },
    { name: 'manifest.json', data: values },
  ]);
  const rss = process.memoryUsage().rss;
  const refused = await uploadRestore(live, archive);
  assert.equal(refused.status, 400);
  assert.match(String(refused.body.detail), /^manifest\.json holds more than \d+ values/);
  assert.ok(process.memoryUsage().rss - rss < 100 * 1024 * 1024);
});

test('a manifest that turns out bad at the end of the archive: no SQL ran, the load never started', async () => {
  const source = mkdtempSync(join(work, 'late-'));
  const archive = join(source, 'late.tar.gz');
  // Our own layout: database.sql first, manifest.json last, whose checksum for database.sql is wrong.
  const sql = 'CREATE TABLE would_have_run (x int);\n';
  const manifest = {
    format: 'selfdb-backup',
    format_version: 1,
    tables: {},
    members: [{ name: 'database.sql', size: sql.length, sha256: '0'.repeat(64) }],
  };
  writeFileSync(
    archive,
    craftArchive([
      { name: 'database.sql', data: sql },
      { name: 'manifest.json', data: JSON.stringify(manifest) },
    ]),
  );
  const cli = cliService(live);
  const phases: (string | null)[] = [];
  cli.service.progress.onPhase = (snapshot) => phases.push(snapshot.phase);
  try {
    await assert.rejects(cli.service.restoreFile(archive), /Checksum mismatch for database\.sql/);
  } finally {
    await cli.close();
  }
  assert.deepEqual(phases, ['checking archive'], 'nothing but the check ran');
  assert.deepEqual(await leftovers(live), []);
});

test('archives (they hold .env) are created mode 0600', async () => {
  const cli = cliService(live);
  try {
    const created = await cli.service.createBackup({ trigger: 'cli' });
    assert.equal(statSync(created.path).mode & 0o777, 0o600);
  } finally {
    await cli.close();
  }
});

test('functions an archive puts where the superuser looks (public overloads, selfdb_internal) never run as it', async () => {
  const marker = join(work, `shadow-${randomBytes(4).toString('hex')}`);
  // Each writes the marker file, which only a superuser may do: if any runs with those rights, the file appears.
  const writesMarker = `BEGIN COPY (SELECT 1) TO '${marker}'; EXCEPTION WHEN insufficient_privilege THEN NULL; END`;
  const archive = hostileArchive(
    [
      `CREATE FUNCTION public.has_database_privilege(text, name, text) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN ${writesMarker}; RETURN true; END $f$;`,
      `CREATE FUNCTION public.has_schema_privilege(text, name, text) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN ${writesMarker}; RETURN true; END $f$;`,
      `CREATE FUNCTION public.pg_advisory_lock(text) RETURNS void LANGUAGE plpgsql AS $f$ BEGIN ${writesMarker}; END $f$;`,
      'CREATE SCHEMA selfdb_internal;',
      `CREATE FUNCTION selfdb_internal.adopt(regclass, oid) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN ${writesMarker}; RETURN false; END $f$;`,
    ].join('\n'),
  );
  const target = await startBackupsApp();
  try {
    const restored = await uploadRestore(target, archive);
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    // The next start runs the migration runner on it as the superuser again.
    await runMigrations(target.db.directUrl, MIGRATIONS_DIR, { info: () => {} });
    assert.equal(existsSync(marker), false, 'an archive function ran as the superuser');
    const strangers = await query<{ fn: string }>(
      target.db.directUrl,
      `SELECT p.oid::regprocedure::text AS fn FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
       WHERE p.pronamespace = 'selfdb_internal'::regnamespace AND NOT r.rolsuper
         AND p.oid <> 'selfdb_internal.log_schema_change()'::regprocedure`,
    );
    assert.deepEqual(strangers, [], 'selfdb_internal holds only the superuser’s functions');
  } finally {
    await target.close();
  }
});
