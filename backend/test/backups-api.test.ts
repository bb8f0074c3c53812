// The /backups routes: who may call them, what an archive holds (upstream's layout plus a manifest whose
// checksums match), listing with named archives, streaming download, delete, single flight across processes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { acquireOperationLock } from '../src/modules/backups/maintenance.ts';
import { ADMIN, call, login, registerUser } from './helpers.ts';
import { type BackupsTestApp, downloadArchive, query, startBackupsApp } from './backups-helpers.ts';

let t: BackupsTestApp;
let adminToken = '';
let userToken = '';

before(async () => {
  t = await startBackupsApp();
  adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  userToken = (await registerUser(t.app, 'plain-user@example.com')).access_token;
  mkdirSync(join(t.storageDir, 'bucket-a', 'docs'), { recursive: true });
  writeFileSync(join(t.storageDir, 'bucket-a', 'docs', 'read me.md'), '# hello\n');
  writeFileSync(join(t.storageDir, 'bucket-a', 'blob.bin'), Buffer.alloc(300_000, 0xab));
  // The storage service's own temp files are never archived.
  writeFileSync(join(t.storageDir, 'bucket-a', '.selfdb-upload-123'), 'partial');
});
after(async () => t?.close());

const tarMembers = (archive: string) =>
  execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n');
const tarRead = (archive: string, member: string) => execFileSync('tar', ['-xzOf', archive, member]);

test('admin-only routes: anonymous 401, user 403, admin allowed', async () => {
  const routes: [string, string, number][] = [
    ['GET', '/backups', 200],
    ['GET', '/backups/progress', 200],
    ['GET', '/backups/selfdb_backup_20240101_000000.tar.gz/download', 404],
    ['DELETE', '/backups/selfdb_backup_20240101_000000.tar.gz', 404],
  ];
  for (const [method, url, adminStatus] of routes) {
    assert.equal((await call(t.app, method, url)).status, 401, `${method} ${url} anonymous`);
    const asUser = await call(t.app, method, url, { token: userToken });
    assert.equal(asUser.status, 403, `${method} ${url} user`);
    assert.equal(asUser.body.detail, 'Admin access required');
    assert.equal(
      (await call(t.app, method, url, { token: adminToken })).status,
      adminStatus,
      `${method} ${url}`,
    );
  }
  assert.equal((await call(t.app, 'POST', '/backups')).status, 401);
  assert.equal((await call(t.app, 'POST', '/backups', { token: userToken })).status, 403);
  assert.equal((await call(t.app, 'GET', '/backups', { apiKey: null, token: adminToken })).status, 406);
});

test('POST /backups writes upstream layout + manifest.json whose sizes and SHA-256 match every member', async () => {
  const created = await call(t.app, 'POST', '/backups', { token: adminToken });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.success, true);
  const filename = String(created.body.filename);
  assert.match(filename, /^selfdb_backup_\d{8}_\d{6}\.tar\.gz$/);
  assert.match(String(created.body.message), /^Backup created successfully \(\d+\.\d\d MB\)$/);
  const archive = join(t.backupsDir, filename);

  const members = tarMembers(archive);
  assert.equal(members[0], 'database.sql');
  for (const name of ['.env', 'storage/', 'storage/bucket-a/docs/read me.md', 'storage/bucket-a/blob.bin']) {
    assert.ok(members.includes(name), `${name} in ${members.join(', ')}`);
  }
  assert.ok(!members.some((name) => name.includes('.selfdb-')), 'temp files left out');
  assert.equal(members.at(-1), 'manifest.json');
  assert.equal(tarRead(archive, '.env').toString(), 'API_KEY=from-the-env-file\n');

  const manifest = JSON.parse(tarRead(archive, 'manifest.json').toString());
  assert.equal(manifest.format, 'selfdb-backup');
  assert.match(manifest.postgres_version, /^\d+/);
  assert.match(manifest.pg_dump_version, /pg_dump/);
  assert.match(manifest.migration_level, /^\d{4}_.*\.sql$/);
  assert.equal(manifest.trigger, 'api');
  assert.deepEqual(manifest.storage, { files: 2, bytes: 300_000 + 8 });
  const [users] = await query<{ n: number }>(t.db.directUrl, 'SELECT count(*)::int AS n FROM users');
  assert.equal(manifest.tables['public.users'], users?.n);
  const listed = new Set<string>();
  for (const member of manifest.members as { name: string; size: number; sha256: string }[]) {
    const bytes = tarRead(archive, member.name);
    assert.equal(bytes.length, member.size, member.name);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), member.sha256, member.name);
    listed.add(member.name);
  }
  assert.deepEqual(
    [...listed].sort(),
    members.filter((name) => !name.endsWith('/') && name !== 'manifest.json').sort(),
  );
  const sql = tarRead(archive, 'database.sql').toString();
  assert.match(sql, /DROP TABLE IF EXISTS public\.users;/, 'plain pg_dump --clean --if-exists');
  assert.doesNotMatch(sql, /OWNER TO|GRANT /, '--no-owner --no-privileges');
  // Nothing but the archive is left in the folder.
  assert.deepEqual(execFileSync('ls', ['-A', t.backupsDir], { encoding: 'utf8' }).trim().split('\n'), [
    filename,
  ]);
});

test('GET /backups lists named (suffixed) archives too, newest first, and nothing else', async () => {
  for (const name of [
    'selfdb_backup_20240101_000000.tar.gz',
    'selfdb_backup_20250102_030405_before-upgrade.tar.gz',
    'selfdb_backup_20251341_000000.tar.gz',
    'selfdb_backup_latest.tar.gz',
    'notes.txt',
    '.selfdb-partial-1-2.tar.gz',
  ]) {
    writeFileSync(join(t.backupsDir, name), 'x');
  }
  const listed = await call(t.app, 'GET', '/backups', { token: adminToken });
  assert.equal(listed.status, 200);
  const names = (listed.body as unknown as { filename: string; size: number; created_at: string }[]).map(
    (b) => b.filename,
  );
  assert.deepEqual(names.slice(-2), [
    'selfdb_backup_20250102_030405_before-upgrade.tar.gz',
    'selfdb_backup_20240101_000000.tar.gz',
  ]);
  assert.equal(names.length, 3, names.join(', '));
  const named = (listed.body as unknown as { filename: string; created_at: string; size: number }[])[1];
  assert.equal(named?.created_at, new Date(2025, 0, 2, 3, 4, 5).toISOString());
  assert.equal(named?.size, 1);
});

test('download streams the archive byte for byte; names that are not archives are 404', async () => {
  const [newest] = (await call(t.app, 'GET', '/backups', { token: adminToken })).body as unknown as {
    filename: string;
  }[];
  const response = await downloadArchive(t.app, String(newest?.filename), adminToken);
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'application/gzip');
  assert.equal(response.headers['content-disposition'], `attachment; filename="${newest?.filename}"`);
  assert.deepEqual(response.rawPayload, readFileSync(join(t.backupsDir, String(newest?.filename))));
  for (const name of [
    '..%2F..%2Fetc%2Fpasswd',
    'selfdb_backup_..%2F..%2Fx.tar.gz',
    'notes.txt',
    'selfdb_backup_19990101_000000.tar.gz',
  ]) {
    const missing = await call(t.app, 'GET', `/backups/${name}/download`, { token: adminToken });
    assert.equal(missing.status, 404, name);
    assert.equal(missing.body.code, 'BACKUP_NOT_FOUND');
    assert.equal(missing.body.detail, 'Backup file not found');
  }
});

test('DELETE removes one archive and answers as upstream; a second delete is 404', async () => {
  const name = 'selfdb_backup_20240101_000000.tar.gz';
  const deleted = await call(t.app, 'DELETE', `/backups/${name}`, { token: adminToken });
  assert.equal(deleted.status, 200);
  assert.deepEqual(deleted.body, { message: `Backup ${name} deleted successfully` });
  assert.equal((await call(t.app, 'DELETE', `/backups/${name}`, { token: adminToken })).status, 404);
  assert.equal((await call(t.app, 'DELETE', '/backups/notes.txt', { token: adminToken })).status, 404);
  assert.ok(readFileSync(join(t.backupsDir, 'notes.txt')), 'other files are never deleted');
});

test('two backups requested at once: one is written, the other answers 409 BACKUP_IN_PROGRESS', async () => {
  const before = (await call(t.app, 'GET', '/backups', { token: adminToken })).body.length;
  const results = await Promise.all([
    call(t.app, 'POST', '/backups', { token: adminToken }),
    call(t.app, 'POST', '/backups', { token: adminToken }),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
  const refused = results.find((r) => r.status === 409);
  assert.equal(refused?.body.code, 'BACKUP_IN_PROGRESS');
  assert.equal((await call(t.app, 'GET', '/backups', { token: adminToken })).body.length, before + 1);
});

test('a backup held by another process (the advisory lock) is refused here, and progress says so', async () => {
  const other = await acquireOperationLock(t.db.directUrl);
  assert.ok(other, 'the lock is free');
  try {
    assert.equal(await acquireOperationLock(t.db.directUrl), null, 'a second holder is refused');
    const refused = await call(t.app, 'POST', '/backups', { token: adminToken });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'BACKUP_IN_PROGRESS');
    const progress = await call(t.app, 'GET', '/backups/progress', { token: adminToken });
    assert.equal(progress.body.running, true);
    assert.equal(progress.body.phase, 'running in another process');
  } finally {
    await other?.release();
  }
  const progress = await call(t.app, 'GET', '/backups/progress', { token: adminToken });
  assert.equal(progress.body.running, false);
  assert.equal((await call(t.app, 'POST', '/backups', { token: adminToken })).status, 200);
});

test('progress reports the last backup: done, its file name, bytes and files of its last phase', async () => {
  const created = await call(t.app, 'POST', '/backups', { token: adminToken });
  const progress = await call(t.app, 'GET', '/backups/progress', { token: adminToken });
  assert.equal(progress.status, 200);
  assert.equal(progress.body.operation, 'backup');
  assert.equal(progress.body.running, false);
  assert.equal(progress.body.succeeded, true);
  assert.equal(progress.body.phase, 'done');
  assert.equal(progress.body.filename, created.body.filename);
  assert.equal(progress.body.files_done, 2);
  assert.ok(Number(progress.body.bytes_done) > 300_000);
});
