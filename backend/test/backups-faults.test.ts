// The schedule (one archive per tick however many processes fire, a tick that meets a running backup is
// skipped, retention), a disk that fills up during a backup, and backup-verify.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { archiveName } from '../src/modules/backups/archive-names.ts';
import { acquireOperationLock } from '../src/modules/backups/maintenance.ts';
import { createBackupScheduler } from '../src/modules/backups/scheduler.ts';
import { ADMIN, call, login } from './helpers.ts';
import {
  type BackupsTestApp,
  cliService,
  databaseFingerprint,
  FIXTURE,
  folderFingerprint,
  leftovers,
  query,
  startBackupsApp,
  uploadRestore,
} from './backups-helpers.ts';

const apps: BackupsTestApp[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  for (const app of apps) await app.close();
});

async function newApp(overrides: Record<string, string> = {}) {
  const started = await startBackupsApp(overrides);
  apps.push(started);
  return started;
}

/** A scheduler as one backend process runs it: its own service, pool and log. */
function scheduler(t: BackupsTestApp, cron = '', retentionDays = 7) {
  const cli = cliService(t);
  cleanups.push(() => cli.close());
  const silent = {
    info: (m: string) => cli.lines.push(m),
    warn: () => {},
    error: (m: string) => cli.lines.push(m),
  };
  const schedule = createBackupScheduler(
    { cron, retentionDays, backupsDir: t.backupsDir },
    cli.service,
    cli.pool,
    silent,
  );
  cleanups.push(() => schedule.stop());
  return { schedule, lines: cli.lines };
}

const archives = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.startsWith('selfdb_backup_'))
    .sort();

describe('the schedule', () => {
  let t: BackupsTestApp;
  before(async () => {
    t = await newApp();
  });

  test('two processes firing for the same tick make one archive, named for the tick', async () => {
    const [a, b] = [scheduler(t), scheduler(t)];
    const tick = new Date(2030, 0, 2, 2, 0, 0);
    const outcomes = await Promise.all([
      a.schedule.runTick(tick),
      b.schedule.runTick(new Date(tick.getTime() + 3)),
    ]);
    assert.deepEqual(outcomes.sort(), ['claimed-elsewhere', 'created']);
    assert.deepEqual(archives(t.backupsDir), [archiveName(tick)]);
    const runs = await query<{ outcome: string; filename: string }>(
      t.db.directUrl,
      'SELECT outcome, filename FROM backup_schedule_runs WHERE scheduled_for = $1',
      [tick],
    );
    assert.deepEqual(runs, [{ outcome: 'created', filename: archiveName(tick) }]);
    assert.ok([...a.lines, ...b.lines].some((line) => /another process took this tick/.test(line)));
  });

  test('a tick that finds a backup or restore running is skipped with a log line', async () => {
    const { schedule, lines } = scheduler(t);
    const holder = await acquireOperationLock(t.db.directUrl);
    try {
      const tick = new Date(2030, 0, 3, 2, 0, 0);
      assert.equal(await schedule.runTick(tick), 'skipped');
      assert.ok(
        lines.some((line) => /skipped: a backup or restore is running/.test(line)),
        lines.join('\n'),
      );
      const [run] = await query<{ outcome: string }>(
        t.db.directUrl,
        'SELECT outcome FROM backup_schedule_runs WHERE scheduled_for = $1',
        [tick],
      );
      assert.equal(run?.outcome, 'skipped');
      assert.ok(!archives(t.backupsDir).includes(archiveName(tick)));
    } finally {
      await holder?.release();
    }
  });

  test('real cron, two schedulers every second for 3 s: never two archives for one tick', async () => {
    const before = new Set(archives(t.backupsDir));
    const started = new Date();
    const [a, b] = [scheduler(t, '* * * * * *'), scheduler(t, '* * * * * *')];
    a.schedule.start();
    b.schedule.start();
    await new Promise((resolve) => setTimeout(resolve, 3200));
    // stop() returns once a tick that had started is over: its archive and its run row are final, and it no
    // longer holds the backup lock (a tick still running here made the next test's backup "skipped").
    await a.schedule.stop();
    await b.schedule.stop();
    const runs = await query<{ scheduled_for: Date; outcome: string | null; filename: string | null }>(
      t.db.directUrl,
      'SELECT scheduled_for, outcome, filename FROM backup_schedule_runs WHERE scheduled_for BETWEEN $1 AND $2 ORDER BY 1',
      [new Date(started.getTime() - 1000), new Date()],
    );
    const made = archives(t.backupsDir).filter((name) => !before.has(name));
    assert.ok(runs.length >= 2, `ticks claimed: ${runs.length}`);
    assert.ok(made.length >= 1, 'at least one scheduled archive');
    const created = runs.filter((run) => run.outcome === 'created');
    assert.deepEqual(
      made,
      created.map((run) => run.filename).sort(),
      'one archive per created tick, no other',
    );
    for (const run of runs.filter((r) => r.outcome === 'created')) {
      assert.equal(run.filename, archiveName(run.scheduled_for), 'the archive is named for its tick');
    }
  });

  test('stop() returns only once a tick that had started is over: the lock is free, its run is final', async () => {
    const { schedule } = scheduler(t, '* * * * * *');
    const since = new Date();
    schedule.start();
    // Wait (no fixed sleep) until a tick has claimed its run: a backup is then under way.
    for (let i = 0; i < 300; i++) {
      const [claimed] = await query<{ n: number }>(
        t.db.directUrl,
        'SELECT count(*)::int AS n FROM backup_schedule_runs WHERE claimed_at >= $1',
        [since],
      );
      if ((claimed?.n ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await schedule.stop();
    const unfinished = await query(
      t.db.directUrl,
      'SELECT scheduled_for FROM backup_schedule_runs WHERE claimed_at >= $1 AND finished_at IS NULL',
      [since],
    );
    assert.deepEqual(unfinished, [], 'every claimed tick is finished');
    const lock = await acquireOperationLock(t.db.directUrl);
    assert.ok(lock, 'no backup holds the lock any more');
    await lock.release();
  });

  test('retention after a scheduled backup: old automatic archives go, named and recent ones stay', async () => {
    const now = new Date();
    const old = archiveName(new Date(now.getTime() - 9 * 86_400_000));
    const oldNamed = archiveName(new Date(now.getTime() - 9 * 86_400_000), 'keep-me');
    const recent = archiveName(new Date(now.getTime() - 2 * 86_400_000));
    for (const name of [old, oldNamed, recent]) writeFileSync(join(t.backupsDir, name), 'x');
    const { schedule, lines } = scheduler(t, '', 7);
    assert.equal(await schedule.runTick(new Date(now.getTime() + 60_000)), 'created');
    const left = archives(t.backupsDir);
    assert.ok(!left.includes(old), 'the 9-day-old automatic archive is deleted');
    assert.ok(left.includes(oldNamed) && left.includes(recent));
    assert.ok(lines.some((line) => line === `backup retention: deleted ${old}`));
  });
});

/** A 1 MiB tmpfs, unmounted after the suite; null (the test skipped) where mounting needs a root we lack. */
function tinyDisk(t: TestContext): string | null {
  const mountPoint = mkdtempSync(join(tmpdir(), 'selfdb-tiny-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
  } catch {
    rmSync(mountPoint, { recursive: true, force: true });
    t.skip('mounting a 1 MiB tmpfs needs root (CAP_SYS_ADMIN)');
    return null;
  }
  cleanups.push(() => {
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });
  return mountPoint;
}

test('a disk that fills up during a backup: 500 BACKUP_FAILED, partial archive removed, old archive intact', async (t) => {
  const mountPoint = tinyDisk(t);
  if (!mountPoint) return;
  const app = await newApp({ BACKUPS_DIR: mountPoint });
  const previous = join(mountPoint, 'selfdb_backup_20240101_000000.tar.gz');
  writeFileSync(previous, randomBytes(20_000));
  const previousHash = createHash('sha256').update(readFileSync(previous)).digest('hex');
  // Incompressible bytes: the archive cannot fit in 1 MiB.
  mkdirSync(join(app.storageDir, 'big-bucket'));
  writeFileSync(join(app.storageDir, 'big-bucket', 'noise.bin'), randomBytes(3 * 1024 * 1024));

  const { access_token: token } = await login(app.app, ADMIN.email, ADMIN.password);
  const failed = await call(app.app, 'POST', '/backups', { token });
  assert.equal(failed.status, 500);
  assert.equal(failed.body.code, 'BACKUP_FAILED');
  assert.match(
    String(failed.body.detail),
    /No space left on the device of .* while writing the backup: the partial archive was removed/,
  );
  assert.deepEqual(readdirSync(mountPoint), ['selfdb_backup_20240101_000000.tar.gz']);
  assert.equal(createHash('sha256').update(readFileSync(previous)).digest('hex'), previousHash);
  const progress = await call(app.app, 'GET', '/backups/progress', { token });
  assert.equal(progress.body.succeeded, false);
  assert.match(String(progress.body.error), /No space left/);
  // Once there is room again, the next backup works.
  rmSync(join(app.storageDir, 'big-bucket'), { recursive: true });
  assert.equal((await call(app.app, 'POST', '/backups', { token })).status, 200);
});

test('a disk that fills up during a restore: 400 RESTORE_FAILED, the live storage and database stay', async (t) => {
  const mountPoint = tinyDisk(t);
  if (!mountPoint) return;
  const app = await newApp({ STORAGE_DATA_PATH: mountPoint });
  mkdirSync(join(mountPoint, 'live-bucket'));
  writeFileSync(join(mountPoint, 'live-bucket', 'keep.txt'), 'live bytes');
  const database = await databaseFingerprint(app.db.directUrl);
  // SelfDB 0.0.5's archive plus 3 MiB of incompressible bytes: its storage cannot fit next to the live one.
  const dir = mkdtempSync(join(tmpdir(), 'selfdb-big-archive-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('tar', ['-xzf', FIXTURE, '-C', dir]);
  writeFileSync(join(dir, 'storage', 'public-assets', 'noise.bin'), randomBytes(3 * 1024 * 1024));
  const packed = `${dir}.tar.gz`;
  cleanups.push(() => rmSync(packed, { force: true }));
  execFileSync('tar', ['-czf', packed, '-C', dir, '.']);
  const archive = readFileSync(packed);

  const refused = await uploadRestore(app, archive);
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 'RESTORE_FAILED');
  assert.match(String(refused.body.detail), /No space left on the device/);
  assert.deepEqual(readdirSync(mountPoint), ['live-bucket']);
  assert.equal(readFileSync(join(mountPoint, 'live-bucket', 'keep.txt'), 'utf8'), 'live bytes');
  assert.deepEqual(await databaseFingerprint(app.db.directUrl), database);
});

describe('backup-verify', () => {
  let t: BackupsTestApp;
  let archive = '';
  const work = mkdtempSync(join(tmpdir(), 'selfdb-verify-'));
  before(async () => {
    t = await newApp();
    const [bucket] = await query<{ id: string }>(
      t.db.directUrl,
      "INSERT INTO buckets (name, public) VALUES ('docs', true) RETURNING id",
    );
    mkdirSync(join(t.storageDir, 'docs'));
    writeFileSync(join(t.storageDir, 'docs', 'a.txt'), 'aaa');
    await query(
      t.db.directUrl,
      "INSERT INTO files (bucket_id, name, path, size) VALUES ($1, 'a.txt', 'a.txt', 3)",
      [bucket?.id],
    );
    const cli = cliService(t);
    archive = (await cli.service.createBackup({ trigger: 'cli' })).path;
    await cli.close();
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  });

  /** Runs verify with a CLI service and checks that the live database and storage did not change. */
  async function verify(path: string) {
    const database = await databaseFingerprint(t.db.directUrl);
    const storage = folderFingerprint(t.storageDir);
    const cli = cliService(t);
    try {
      return await cli.service.verify(path);
    } finally {
      await cli.close();
      assert.deepEqual(await databaseFingerprint(t.db.directUrl), database, 'live database untouched');
      assert.deepEqual(folderFingerprint(t.storageDir), storage, 'live storage untouched');
      assert.deepEqual(await leftovers(t), [], 'the throwaway database and folder are removed');
    }
  }

  function repack(edit: (dir: string) => void) {
    const dir = mkdtempSync(join(work, 'x-'));
    execFileSync('tar', ['-xzf', archive, '-C', dir]);
    edit(dir);
    const out = `${dir}.tar.gz`;
    execFileSync('tar', ['-czf', out, '-C', dir, '.']);
    return out;
  }

  test('a good archive: every table count matches the manifest, every file is there', async () => {
    const report = await verify(archive);
    assert.equal(report.ok, true, report.problems.join('\n'));
    assert.equal(report.hasManifest, true);
    assert.ok(report.tables.length > 5);
    assert.ok(report.tables.every((table) => table.expected === null || table.expected === table.restored));
    assert.ok(report.tables.filter((table) => table.expected !== null).length > 5);
    assert.deepEqual(
      report.tables.find((table) => table.table === 'realtime.changes'),
      { table: 'realtime.changes', expected: null, restored: 0 },
      'the outbox rows are not archived',
    );
    assert.equal(report.tables.find((table) => table.table === 'public.files')?.restored, 1);
  });

  test('the SelfDB 0.0.5 archive (no manifest) restores and migrates in the throwaway database', async () => {
    const report = await verify(FIXTURE);
    assert.equal(report.ok, true, report.problems.join('\n'));
    assert.equal(report.hasManifest, false);
    assert.ok(report.migrationsApplied.length >= 3);
  });

  test('row counts that differ from the manifest and files without bytes are reported', async () => {
    const lying = repack((dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      manifest.tables['public.users'] += 5;
      manifest.members = manifest.members.filter((m: { name: string }) => m.name !== 'storage/docs/a.txt');
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      rmSync(join(dir, 'storage', 'docs', 'a.txt'));
    });
    const report = await verify(lying);
    assert.equal(report.ok, false);
    assert.ok(
      report.problems.some((p) => /^public\.users: 1 rows restored, the manifest says 6$/.test(p)),
      report.problems.join('\n'),
    );
    assert.ok(report.problems.includes('storage/docs/a.txt: in the files table, not in the archive'));
  });

  test('a backups folder that does not exist yet (no backup made here so far) is created for the work files', async () => {
    const missing = join(work, 'no-backups-yet');
    const cli = cliService(t, { BACKUPS_DIR: missing });
    try {
      const report = await cli.service.verify(archive);
      assert.equal(report.ok, true, report.problems.join('\n'));
      assert.deepEqual(readdirSync(missing), []);
    } finally {
      await cli.close();
    }
  });

  test('a corrupt archive is reported, not restored', async () => {
    const broken = join(work, 'broken.tar.gz');
    writeFileSync(broken, readFileSync(archive).subarray(0, 200));
    const report = await verify(broken);
    assert.equal(report.ok, false);
    assert.match(report.problems[0] ?? '', /truncated/);
  });
});
