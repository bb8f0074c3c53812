// The routes the dashboard's Backups page adds to 0.0.5's. POST /backups/{filename}/verify: admins only, a real
// archive verifies (rows compared with the manifest, live data untouched), a damaged one answers a report with its
// problems, unknown or hostile names 404, one at a time. GET /backups/schedule: the schedule and retention.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { acquireOperationLock } from '../src/modules/backups/maintenance.ts';
import { ADMIN, call, login, registerUser } from './helpers.ts';
import { type BackupsTestApp, query, startBackupsApp } from './backups-helpers.ts';

let t: BackupsTestApp;
let adminToken = '';
let userToken = '';
let filename = '';

before(async () => {
  t = await startBackupsApp();
  adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  userToken = (await registerUser(t.app, 'verify-user@example.com')).access_token;
  const created = await call(t.app, 'POST', '/backups', { token: adminToken });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  filename = String(created.body.filename);
});
after(async () => t?.close());

test('verify is for admins: anonymous 401, user 403', async () => {
  const url = `/backups/${filename}/verify`;
  assert.equal((await call(t.app, 'POST', url)).status, 401);
  const asUser = await call(t.app, 'POST', url, { token: userToken });
  assert.equal(asUser.status, 403);
  assert.equal(asUser.body.detail, 'Admin access required');
});

test('an archive just written verifies: ok, manifest, the users table counted as the manifest says', async () => {
  const users = await query<{ n: string }>(t.db.directUrl, 'SELECT count(*)::text AS n FROM users');
  const res = await call(t.app, 'POST', `/backups/${filename}/verify`, { token: adminToken });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.ok, true, JSON.stringify(res.body.problems));
  assert.equal(res.body.has_manifest, true);
  assert.deepEqual(res.body.problems, []);
  const usersRow = (res.body.tables as { table: string; expected: number; restored: number }[]).find((row) =>
    row.table.endsWith('users'),
  );
  assert.ok(usersRow, 'the users table is in the report');
  assert.equal(usersRow.restored, Number(users[0]?.n));
  assert.equal(usersRow.expected, usersRow.restored);
  const progress = await call(t.app, 'GET', '/backups/progress', { token: adminToken });
  assert.equal(progress.body.operation, 'verify');
  assert.equal(progress.body.filename, filename);
  assert.equal(progress.body.succeeded, true);
  // The live database is untouched: the same users, and no throwaway database left behind.
  const after = await query<{ n: string }>(t.db.directUrl, 'SELECT count(*)::text AS n FROM users');
  assert.equal(after[0]?.n, users[0]?.n);
  const leftover = await query(
    t.db.directUrl,
    "SELECT datname FROM pg_database WHERE datname LIKE '%verify%'",
  );
  assert.deepEqual(leftover, []);
});

test('a damaged archive answers 200 with ok false and the reason', async () => {
  const bytes = readFileSync(join(t.backupsDir, filename));
  const damaged = 'selfdb_backup_20240101_000000_damaged.tar.gz';
  writeFileSync(join(t.backupsDir, damaged), bytes.subarray(0, Math.floor(bytes.length / 2)));
  const res = await call(t.app, 'POST', `/backups/${damaged}/verify`, { token: adminToken });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.ok, false);
  assert.ok((res.body.problems as string[]).length > 0);
});

test('unknown and hostile names answer 404 BACKUP_NOT_FOUND', async () => {
  for (const name of [
    'selfdb_backup_20200101_000000.tar.gz',
    'selfdb_backup_..%2F..%2Fetc.tar.gz',
    'x.tar.gz',
  ]) {
    const res = await call(t.app, 'POST', `/backups/${name}/verify`, { token: adminToken });
    assert.equal(res.status, 404, name);
    assert.equal(res.body.code, 'BACKUP_NOT_FOUND', name);
  }
});

test('while another backup or restore holds the lock, verify answers 409 BACKUP_IN_PROGRESS', async () => {
  const other = await acquireOperationLock(t.db.directUrl);
  assert.ok(other);
  try {
    const res = await call(t.app, 'POST', `/backups/${filename}/verify`, { token: adminToken });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'BACKUP_IN_PROGRESS');
  } finally {
    await other.release();
  }
});

test('GET /backups/schedule: admins see the schedule and retention (off here: null cron, no next run)', async () => {
  assert.equal((await call(t.app, 'GET', '/backups/schedule')).status, 401);
  const asUser = await call(t.app, 'GET', '/backups/schedule', { token: userToken });
  assert.equal(asUser.status, 403);
  assert.equal(asUser.body.detail, 'Admin access required');
  const res = await call(t.app, 'GET', '/backups/schedule', { token: adminToken });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { cron: null, retention_days: 7, next_run_at: null });
});

test('GET /backups/schedule with a schedule: the cron and retention of the configuration', async () => {
  const other = await startBackupsApp({ BACKUP_SCHEDULE_CRON: '30 3 * * *', BACKUP_RETENTION_DAYS: '14' });
  try {
    const token = (await login(other.app, ADMIN.email, ADMIN.password)).access_token;
    const res = await call(other.app, 'GET', '/backups/schedule', { token });
    assert.equal(res.status, 200);
    // The schedule starts when the server listens (never in these tests): no next run yet.
    assert.deepEqual(res.body, { cron: '30 3 * * *', retention_days: 14, next_run_at: null });
  } finally {
    await other.close();
  }
});
