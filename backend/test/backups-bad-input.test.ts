// Archives that must be refused before anything live is touched (empty, not gzip, truncated, corrupted, unsafe
// member names, links, checksum mismatches, no database.sql), a database.sql that fails half-way, a dump that
// tries psql meta-commands, and the pg_dump 18 dump that an older server would reject without help.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { API_KEY, call } from './helpers.ts';
import {
  type BackupsTestApp,
  cliService,
  craftArchive,
  type CraftedMember,
  databaseFingerprint,
  FIXTURE,
  folderFingerprint,
  leftovers,
  query,
  startBackupsApp,
  uploadRestore,
} from './backups-helpers.ts';

let live: BackupsTestApp;
let valid: Buffer;
const work = mkdtempSync(join(tmpdir(), 'selfdb-bad-archives-'));
const apps: BackupsTestApp[] = [];

before(async () => {
  // The archive to tamper with: ours, with a manifest and storage files.
  const source = await startBackupsApp();
  apps.push(source);
  mkdirSync(join(source.storageDir, 'bucket-a'));
  writeFileSync(join(source.storageDir, 'bucket-a', 'one.txt'), 'one\n');
  writeFileSync(join(source.storageDir, 'bucket-a', 'two.bin'), Buffer.alloc(50_000, 2));
  const cli = cliService(source);
  valid = readFileSync((await cli.service.createBackup({ trigger: 'cli' })).path);
  await cli.close();

  // The install under attack: not initialized (so restores are allowed), with data of its own.
  live = await startBackupsApp();
  apps.push(live);
  const created = await call(live.app, 'POST', '/users/', {
    body: { email: 'keep-me@example.com', password: 'KeepMe12345', firstName: 'Keep', lastName: 'Me' },
  });
  assert.equal(created.status, 201);
  await query(live.db.directUrl, 'CREATE TABLE precious (id int); INSERT INTO precious VALUES (1), (2)');
  mkdirSync(join(live.storageDir, 'live-bucket'));
  writeFileSync(join(live.storageDir, 'live-bucket', 'keep.txt'), 'live bytes');
});
after(async () => {
  for (const app of apps) await app.close();
  rmSync(work, { recursive: true, force: true });
});

/** The valid archive unpacked, changed by `edit`, and packed again with tar (so members are named ./…). */
function repack(archive: Buffer, edit: (dir: string) => void): Buffer {
  const dir = mkdtempSync(join(work, 'repack-'));
  writeFileSync(join(dir, '..', 'in.tar.gz'), archive);
  execFileSync('tar', ['-xzf', join(dir, '..', 'in.tar.gz'), '-C', dir]);
  edit(dir);
  execFileSync('tar', ['-czf', join(dir, '..', 'out.tar.gz'), '-C', dir, '.']);
  return readFileSync(join(dir, '..', 'out.tar.gz'));
}

const flipped = () => {
  const copy = Buffer.from(valid);
  for (let i = Math.floor(copy.length / 2); i < Math.floor(copy.length / 2) + 64; i++)
    copy[i] = (copy[i] ?? 0) ^ 0xff;
  return copy;
};

const SQL = 'SELECT 1;\n';
/** A crafted archive: a valid database.sql and `member`. */
const withSql = (member: CraftedMember) => () => craftArchive([{ name: 'database.sql', data: SQL }, member]);
const cases: [string, () => Buffer, RegExp][] = [
  ['an empty file', () => Buffer.alloc(0), /^The backup file is empty$/],
  [
    'a zip file',
    () => Buffer.from('PK\x03\x04 not a gzip archive at all, just some bytes'),
    /not a gzip-compressed tar/,
  ],
  ['plain text', () => Buffer.from('hello\n'.repeat(10)), /not a gzip-compressed tar/],
  ['a truncated archive', () => valid.subarray(0, Math.floor(valid.length / 2)), /truncated/],
  ['a corrupted archive', flipped, /corrupted|truncated/],
  [
    'a tar without its end marker',
    () => craftArchive([{ name: 'database.sql', data: SQL }], { endMarker: false }),
    /end-of-archive marker is missing/,
  ],
  [
    'no database.sql',
    () => craftArchive([{ name: 'storage/b/x.txt', data: 'x' }]),
    /^Invalid backup archive: missing database\.sql$/,
  ],
  [
    'a ../ member',
    withSql({ name: '../escape.txt', data: 'x' }),
    /Unsafe member name in the archive: "\.\.\/escape\.txt"/,
  ],
  ['a storage/../../ member', withSql({ name: 'storage/../../escape.txt', data: 'x' }), /Unsafe member name/],
  [
    'an absolute member',
    withSql({ name: '/tmp/escape.txt', data: 'x' }),
    /Unsafe member name in the archive: "\/tmp\/escape\.txt"/,
  ],
  [
    'a symbolic link',
    withSql({ name: 'storage/b/link', type: 'SymbolicLink', linkpath: '/etc/passwd' }),
    /storage\/b\/link" is a link \(to "\/etc\/passwd"\): links are refused/,
  ],
  ['a hard link', withSql({ name: 'storage/b/hard', type: 'Link', linkpath: 'database.sql' }), /is a link/],
  ['database.sql twice', withSql({ name: './database.sql', data: SQL }), /holds "database\.sql" twice/],
  [
    'a reserved storage name',
    withSql({ name: 'storage/.selfdb-restore-x/evil', data: 'x' }),
    /reserved name/,
  ],
  [
    'a file changed after the manifest',
    () => repack(valid, (dir) => writeFileSync(join(dir, 'storage', 'bucket-a', 'one.txt'), 'ONE\n')),
    /^Checksum mismatch for storage\/bucket-a\/one\.txt/,
  ],
  [
    'a file the manifest lists, gone',
    () => repack(valid, (dir) => rmSync(join(dir, 'storage', 'bucket-a', 'two.bin'))),
    /missing storage\/bucket-a\/two\.bin, which its manifest lists/,
  ],
  [
    'a file the manifest does not list',
    () => repack(valid, (dir) => writeFileSync(join(dir, 'storage', 'bucket-a', 'extra'), 'x')),
    /storage\/bucket-a\/extra is not in its manifest/,
  ],
  [
    'a malformed manifest',
    () => repack(valid, (dir) => writeFileSync(join(dir, 'manifest.json'), '{"format": "selfdb-backup"')),
    /manifest\.json is not valid JSON/,
  ],
];

/** Everything the live install holds, to compare before and after each refused restore. */
async function liveState() {
  return {
    database: await databaseFingerprint(live.db.directUrl),
    storage: folderFingerprint(live.storageDir),
    leftovers: await leftovers(live),
  };
}

test('bad archives are refused with 400 BACKUP_INVALID and a clear reason; the live data stays as it was', async () => {
  const before = await liveState();
  assert.deepEqual(before.leftovers, []);
  for (const [what, make, reason] of cases) {
    const refused = await uploadRestore(live, make());
    assert.equal(refused.status, 400, `${what}: ${JSON.stringify(refused.body)}`);
    assert.equal(refused.body.code, 'BACKUP_INVALID', what);
    assert.match(String(refused.body.detail), reason, what);
    assert.deepEqual(await liveState(), before, `${what} changed something`);
  }
  assert.equal((await call(live.app, 'GET', '/system/status')).body.initialized, false);
});

test('a restore request without the file field is 422 as FastAPI; a non-multipart body too', async () => {
  const wrongField = await uploadRestore(live, valid, { field: 'upload' });
  assert.equal(wrongField.status, 422);
  assert.deepEqual(wrongField.body.detail, [
    { type: 'missing', loc: ['body', 'file'], msg: 'Field required' },
  ]);
  const json = await call(live.app, 'POST', '/backups/restore', { body: { file: 'x' } });
  assert.equal(json.status, 422);
  const noKey = await call(live.app, 'POST', '/backups/restore', { apiKey: null });
  assert.equal(noKey.status, 406);
});

test('an upload over BACKUP_UPLOAD_MAX_MB is refused with 413 and leaves nothing behind', async () => {
  const small = await startBackupsApp({ BACKUP_UPLOAD_MAX_MB: '1' });
  apps.push(small);
  const big = craftArchive([
    { name: 'database.sql', data: SQL },
    { name: 'storage/b/big.bin', data: randomBytes(1_500_000) },
  ]);
  assert.ok(big.length > 1024 * 1024);
  const refused = await uploadRestore(small, big);
  assert.equal(refused.status, 413);
  assert.equal(refused.body.code, 'PAYLOAD_TOO_LARGE');
  assert.deepEqual(readdirSync(small.backupsDir), []);
});

/** The SelfDB 0.0.5 fixture with its database.sql changed by `edit`. */
const fixtureWith = (edit: (sql: string) => string) =>
  repack(readFileSync(FIXTURE), (dir) => {
    const path = join(dir, 'database.sql');
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
  });

test('a database.sql that fails half-way: 400 RESTORE_FAILED naming the error; the live data stays', async () => {
  const before = await liveState();
  const broken = fixtureWith((sql) => {
    const cut = sql.indexOf('COPY public.users');
    return `${sql.slice(0, cut)}SELECT * FROM no_such_table_here;\n${sql.slice(cut)}`;
  });
  const refused = await uploadRestore(live, broken);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'RESTORE_FAILED');
  assert.match(
    String(refused.body.detail),
    /^database\.sql could not be loaded: ERROR: relation "no_such_table_here" does not exist \(database\.sql line \d+\)$/,
  );
  assert.deepEqual(await liveState(), before);
});

test('psql meta-commands in database.sql (\\! runs a shell command) are refused, nothing runs', async () => {
  const before = await liveState();
  const marker = join(work, 'pwned');
  const hostile = fixtureWith((sql) => `\\! touch ${marker}\n${sql}`);
  const refused = await uploadRestore(live, hostile);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'RESTORE_FAILED');
  assert.match(String(refused.body.detail), /backslash commands are restricted/);
  assert.equal(existsSync(marker), false, 'the shell command ran');
  assert.deepEqual(await liveState(), before);
});

test('a pg_dump 18 dump (SET transaction_timeout, \\restrict) with ./ member names restores on this server', async () => {
  const fresh = await startBackupsApp();
  apps.push(fresh);
  const fromPg18 = fixtureWith((sql) =>
    sql.replace('SET statement_timeout = 0;\n', 'SET statement_timeout = 0;\nSET transaction_timeout = 0;\n'),
  );
  assert.match(
    execFileSync('tar', ['-tzf', '-'], { input: fromPg18, encoding: 'utf8' }),
    /^\.\/database\.sql$/m,
  );
  const restored = await uploadRestore(fresh, fromPg18);
  assert.equal(restored.status, 200, JSON.stringify(restored.body));
  const login = await fresh.app.inject({
    method: 'POST',
    url: '/users/token',
    headers: { 'x-api-key': API_KEY },
    payload: { email: 'alice@example.com', password: 'alicepass123' },
  });
  assert.equal(login.statusCode, 200);
});
