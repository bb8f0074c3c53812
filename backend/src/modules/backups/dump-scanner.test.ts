// The dump scanners must give the same answer however pg_dump's output is cut into chunks: a COPY terminator,
// a statement line or a row split across two reads is the case that breaks naive line handling.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { copyTarget, DumpFilter, DumpMeter } from './dump-scanner.ts';
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
  const filter = new DumpFilter({ knownSettings: new Set(), restrictKey: null });
  await assert.rejects(text(chunked('SELECT 1;\n\\! rm -rf /\n', [4]).pipe(filter)), /meta-command/);
  const rows = new DumpFilter({ knownSettings: new Set(), restrictKey: null });
  // Backslashes inside row data are data, not commands.
  assert.equal(await text(chunked('COPY a (x) FROM stdin;\n\\! data\n\\.\n', [3]).pipe(rows)), 'COPY a (x) FROM stdin;\n\\! data\n\\.\n');
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
