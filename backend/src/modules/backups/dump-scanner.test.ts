// The dump scanners must give the same answer however pg_dump's output is cut into chunks: a COPY terminator,
// a statement line or a row split across two reads is the case that breaks naive line handling.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { copyTarget, DumpFilter, DumpMeter, RefusedStatementError } from './dump-scanner.ts';
import { psqlSupportsRestrict } from './postgres-tools.ts';
import { archiveName, isArchiveFileName, parseArchiveName } from './archive-names.ts';
import { normaliseMemberName } from './archive-reader.ts';

const DUMP = [
  '--',
  '-- PostgreSQL database dump',
  '\\restrict AbC123',
  'SET statement_timeout = 0;',
  'SET transaction_timeout = 0;',
  "SELECT pg_catalog.set_config('search_path', '', false);",
  'CREATE TABLE public.t (id integer, v text);',
  'COPY public.t (id, v) FROM stdin;',
  '1\tone',
  '2\t\\\\.not the end',
  '3\t\\.',
  '\\.',
  'COPY public."odd (name)" (x) FROM stdin;',
  '\\.',
  'COPY public.big (x) FROM stdin;',
  `${'x'.repeat(5000)}`,
  '\\.',
  'SET transaction_timeout = 0;',
  '\\unrestrict AbC123',
  '',
].join('\n');

/** Feeds `input` in chunks cut at the given sizes (cycled). */
function chunked(input: string, sizes: number[]): Readable {
  const bytes = Buffer.from(input);
  const pieces: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length] as number;
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return Readable.from(pieces, { objectMode: false });
}

const CUTS = [[1], [2], [3], [7], [64], [1, 2, 3, 5, 8, 13], [100_000]];

test('DumpMeter passes the dump through unchanged and counts rows per table, however it is cut', async () => {
  for (const sizes of CUTS) {
    const meter = new DumpMeter();
    const out = await text(chunked(DUMP, sizes).pipe(meter));
    assert.equal(out, DUMP, `cut ${sizes}`);
    assert.deepEqual(Object.fromEntries(meter.rowCounts), {
      'public.t': 3,
      'public."odd (name)"': 0,
      'public.big': 1,
    });
    assert.equal(meter.bytes, Buffer.byteLength(DUMP));
  }
});

test('DumpFilter drops unknown SET parameters and replaces the dump’s \\restrict with its own key', async () => {
  for (const sizes of CUTS) {
    const skipped: string[] = [];
    const filter = new DumpFilter({
      knownSettings: new Set(['statement_timeout']),
      allowedExtensions: new Set(['pgcrypto']),
      restrictKey: 'k3y',
      onSkip: (line) => skipped.push(line),
    });
    const out = await text(chunked(DUMP, sizes).pipe(filter));
    const lines = out.split('\n');
    assert.equal(lines[0], '\\restrict k3y');
    assert.equal(lines.at(-2), '\\unrestrict k3y');
    assert.ok(!out.includes('AbC123'));
    assert.ok(!out.includes('transaction_timeout'));
    assert.ok(out.includes('SET statement_timeout = 0;'));
    // Row data is never touched: the row that looks like a SET or a terminator stays.
    assert.ok(out.includes('2\t\\\\.not the end\n3\t\\.\n\\.\n'));
    assert.deepEqual(skipped, ['SET transaction_timeout = 0;', 'SET transaction_timeout = 0;']);
  }
});

test('without a restrict key (an older psql), a meta-command line fails the load', async () => {
  const options = { knownSettings: new Set<string>(), allowedExtensions: new Set<string>(), restrictKey: null };
  const filter = new DumpFilter(options);
  await assert.rejects(text(chunked('SELECT 1;\n\\! rm -rf /\n', [4]).pipe(filter)), /meta-command/);
  const rows = new DumpFilter(options);
  // Backslashes inside row data are data, not commands.
  assert.equal(await text(chunked('COPY a (x) FROM stdin;\n\\! data\n\\.\n', [3]).pipe(rows)), 'COPY a (x) FROM stdin;\n\\! data\n\\.\n');
});

/** A pg_dump of SelfDB without --no-owner: ownership, event triggers and an extension comment need a superuser. */
const OWNED_DUMP = [
  'SET statement_timeout = 0;', // 1
  'DROP EVENT TRIGGER IF EXISTS selfdb_schema_changes_ddl;',
  '--',
  '-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -',
  '--',
  'CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;', // 6
  '--',
  '-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -',
  '--',
  "COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';", // 10
  '--',
  '-- Name: f(); Type: FUNCTION; Schema: public; Owner: postgres',
  '--',
  'CREATE FUNCTION public.f() RETURNS integer',
  '    LANGUAGE sql AS $$SELECT 1$$;', // 15
  'ALTER FUNCTION public.f() OWNER TO postgres;',
  'SET SESSION AUTHORIZATION postgres;',
  'ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO PUBLIC;',
  '--',
  '-- Name: log_ddl; Type: EVENT TRIGGER; Schema: -; Owner: postgres', // 20
  '--',
  'CREATE EVENT TRIGGER log_ddl ON ddl_command_end',
  '   EXECUTE FUNCTION public.f();',
  'ALTER EVENT TRIGGER log_ddl OWNER TO postgres;',
  '--', // 25
  '-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: postgres',
  '--',
  'COPY public.t (x) FROM stdin;',
  'ALTER ROLE x SUPERUSER;', // row data, never a statement
  '\\.', // 30
  'GRANT SELECT ON TABLE public.t TO PUBLIC;',
  '',
].join('\n');

test('DumpFilter leaves out ownership, event triggers and extension comments as empty lines; rows stay', async () => {
  for (const sizes of CUTS) {
    const skipped: string[] = [];
    const filter = new DumpFilter({
      knownSettings: new Set(['statement_timeout']),
      allowedExtensions: new Set(['pgcrypto']),
      restrictKey: null,
      onSkip: (line) => skipped.push(line),
    });
    const lines = (await text(chunked(OWNED_DUMP, sizes).pipe(filter))).split('\n');
    const input = OWNED_DUMP.split('\n');
    assert.equal(lines.length, input.length, `cut ${sizes}: line numbers are kept`);
    const kept = (n: number) => assert.equal(lines[n - 1], input[n - 1], `line ${n} kept`);
    const blank = (n: number) => assert.equal(lines[n - 1], '', `line ${n} left out`);
    [1, 6, 14, 15, 28, 29, 30, 31].forEach(kept);
    [2, 10, 16, 17, 18, 22, 23, 24].forEach(blank);
    assert.ok(skipped.includes('EVENT TRIGGER log_ddl'));
    assert.ok(skipped.includes('COMMENT EXTENSION pgcrypto'));
  }
});

test('DumpFilter refuses roles, server settings, programs, server files and extensions beyond the allowed', async () => {
  const refused = [
    'CREATE ROLE evil SUPERUSER LOGIN;',
    'ALTER ROLE CURRENT_USER SUPERUSER;',
    'alter user postgres password $$x$$;',
    'DROP ROLE postgres;',
    "ALTER SYSTEM SET archive_command = 'id';",
    'ALTER DATABASE selfdb SET search_path = evil;',
    "COPY (SELECT 1) TO PROGRAM 'id > /tmp/x';",
    "copy public.t from program 'cat .env';",
    "COPY public.t FROM '/etc/passwd';",
    'CREATE EXTENSION plperlu;',
    'CREATE EXTENSION IF NOT EXISTS "adminpack" WITH SCHEMA public;',
  ];
  for (const statement of refused) {
    const filter = new DumpFilter({
      knownSettings: new Set(),
      allowedExtensions: new Set(['pgcrypto']),
      restrictKey: 'k',
    });
    await assert.rejects(
      text(chunked(`SELECT 1;\n${statement}\n`, [5]).pipe(filter)),
      (err: Error) => err instanceof RefusedStatementError && /database\.sql/.test(err.message),
      statement,
    );
  }
});

test('copyTarget reads the table of a COPY line, quoted names included', () => {
  assert.equal(copyTarget('COPY public.users (id, email) FROM stdin;\n'), 'public.users');
  assert.equal(copyTarget('COPY "My Schema"."a b" (x) FROM stdin;'), '"My Schema"."a b"');
  assert.equal(copyTarget('COPY public.t FROM stdin;'), 'public.t');
  assert.equal(copyTarget('CREATE TABLE x (y int);'), null);
});

test('psql understands \\restrict from the August 2025 minor releases on', () => {
  const cases: [number, number, boolean][] = [
    [18, 0, true],
    [17, 6, true],
    [17, 5, false],
    [16, 10, true],
    [16, 9, false],
    [15, 14, true],
    [15, 13, false],
    [14, 19, true],
    [13, 22, true],
    [12, 99, false],
  ];
  for (const [major, minor, expected] of cases) {
    assert.equal(psqlSupportsRestrict({ major, minor }), expected, `${major}.${minor}`);
  }
});

test('archive names: parsed strictly, written in local time, download names never leave the folder', () => {
  const date = new Date(2025, 11, 5, 14, 30, 22);
  assert.equal(archiveName(date), 'selfdb_backup_20251205_143022.tar.gz');
  assert.equal(archiveName(date, 'before-upgrade'), 'selfdb_backup_20251205_143022_before-upgrade.tar.gz');
  assert.deepEqual(parseArchiveName('selfdb_backup_20251205_143022_before-upgrade.tar.gz'), {
    createdAt: date,
    suffix: 'before-upgrade',
  });
  for (const bad of ['selfdb_backup_20251305_143022.tar.gz', 'selfdb_backup_20251205_143022_x y.tar.gz', 'x.tar.gz']) {
    assert.equal(parseArchiveName(bad), null, bad);
  }
  assert.ok(isArchiveFileName('selfdb_backup_anything-1.tar.gz'));
  for (const bad of ['selfdb_backup_../../etc.tar.gz', 'selfdb_backup_a/b.tar.gz', 'other.tar.gz', 'selfdb_backup_x.tgz']) {
    assert.equal(isArchiveFileName(bad), false, bad);
  }
});

test('member names: ./ prefixes are removed, anything that could escape the target is refused', () => {
  assert.equal(normaliseMemberName('./database.sql'), 'database.sql');
  assert.equal(normaliseMemberName('././storage/b/x'), 'storage/b/x');
  assert.equal(normaliseMemberName('storage/b/'), 'storage/b');
  assert.equal(normaliseMemberName('./'), '');
  for (const bad of ['../x', 'storage/../../x', '/etc/passwd', 'storage//x', 'a\\b', 'C:/x', 'storage/./x', 'a\nb']) {
    assert.throws(() => normaliseMemberName(bad), /Unsafe member name/, bad);
  }
});
