import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackupProgress } from '@selfdb/sdk';
import { backupKind, progressFraction, progressLabel, scheduleSummary } from './backups.ts';

test('backupKind: standard names, named (CLI) ones with their suffix, anything else', () => {
  assert.equal(backupKind('selfdb_backup_20251205_143022.tar.gz'), 'standard');
  assert.equal(backupKind('selfdb_backup_20251205_143022_before-upgrade.tar.gz'), 'named: before-upgrade');
  assert.equal(backupKind('selfdb_backup_latest.tar.gz'), 'other');
});

const progress = (over: Partial<BackupProgress>): BackupProgress => ({
  running: true,
  operation: 'backup',
  phase: 'dumping database',
  filename: null,
  started_at: null,
  finished_at: null,
  bytes_done: 0,
  bytes_total: null,
  files_done: 0,
  files_total: null,
  succeeded: null,
  error: null,
  ...over,
});

test('progressFraction: null while the total is unknown, clamped to 0..1 otherwise', () => {
  assert.equal(progressFraction(progress({ bytes_done: 10 })), null);
  assert.equal(progressFraction(progress({ bytes_done: 0, bytes_total: 0 })), null);
  assert.equal(progressFraction(progress({ bytes_done: 25, bytes_total: 100 })), 0.25);
  assert.equal(progressFraction(progress({ bytes_done: 150, bytes_total: 100 })), 1);
});

test('progressLabel: operation, phase, bytes and files when there are some', () => {
  assert.equal(progressLabel(progress({})), 'Backup: dumping database');
  assert.equal(
    progressLabel(progress({ phase: 'writing archive', bytes_done: 2048, bytes_total: 4096, files_done: 3 })),
    'Backup: writing archive · 2.0 KB of 4.0 KB · 3 files',
  );
  assert.equal(
    progressLabel(progress({ operation: 'verify', phase: null, bytes_done: 1024 })),
    'Verify: starting · 1.0 KB',
  );
});

test('scheduleSummary: off, on with retention, on keeping everything', () => {
  assert.equal(
    scheduleSummary({ cron: null, retention_days: 7, next_run_at: null }),
    'Scheduled backups are off (BACKUP_SCHEDULE_CRON).',
  );
  assert.equal(
    scheduleSummary({ cron: '0 2 * * *', retention_days: 1, next_run_at: null }),
    'Scheduled backups: 0 2 * * * (cron, server time). Scheduled archives are kept 1 day; named ones until deleted.',
  );
  assert.match(
    scheduleSummary({ cron: '0 2 * * *', retention_days: 0, next_run_at: '2026-01-02T02:00:00.000Z' }),
    /^Scheduled backups: 0 2 \* \* \* \(cron, server time\), next .+\. Archives are kept until deleted\.$/,
  );
});
