// Pure helpers of the Backups page: what kind of archive a name is, and a progress snapshot as one line and a
// fraction for the bar.
import type { BackupProgress, BackupSchedule } from '@selfdb/sdk';
import { formatBytes, formatDate } from '../../lib/format.ts';

const NAME = /^selfdb_backup_\d{8}_\d{6}(?:_([A-Za-z0-9_-]+))?\.tar\.gz$/;

/**
 * `selfdb_backup_YYYYMMDD_HHMMSS.tar.gz` is written by the dashboard, the API or the schedule; a `_suffix` marks a
 * named one (`backup_now.sh --name`), which the scheduled retention keeps.
 */
export function backupKind(filename: string): string {
  const match = NAME.exec(filename);
  if (!match) return 'other';
  return match[1] ? `named: ${match[1]}` : 'standard';
}

/** 0..1 when the total is known, null while it is not (the bar then shows activity only). */
export function progressFraction(progress: Pick<BackupProgress, 'bytes_done' | 'bytes_total'>): number | null {
  if (!progress.bytes_total || progress.bytes_total <= 0) return null;
  return Math.min(1, Math.max(0, progress.bytes_done / progress.bytes_total));
}

/** "Backup: dumping database · 12.0 MB of 40.0 MB · 3 files" */
export function progressLabel(progress: BackupProgress): string {
  const operation = progress.operation
    ? progress.operation[0]?.toUpperCase() + progress.operation.slice(1)
    : 'Operation';
  const parts = [`${operation}: ${progress.phase ?? 'starting'}`];
  if (progress.bytes_done > 0 || progress.bytes_total) {
    parts.push(
      progress.bytes_total
        ? `${formatBytes(progress.bytes_done)} of ${formatBytes(progress.bytes_total)}`
        : formatBytes(progress.bytes_done),
    );
  }
  if (progress.files_done > 0) {
    parts.push(
      progress.files_total
        ? `${progress.files_done} of ${progress.files_total} files`
        : `${progress.files_done} files`,
    );
  }
  return parts.join(' · ');
}

/** "Scheduled backups: 0 2 * * * (server time), next … Kept 7 days; named backups are kept." */
export function scheduleSummary(schedule: BackupSchedule): string {
  const when = schedule.cron
    ? `Scheduled backups: ${schedule.cron} (cron, server time)${schedule.next_run_at ? `, next ${formatDate(schedule.next_run_at)}` : ''}.`
    : 'Scheduled backups are off (BACKUP_SCHEDULE_CRON).';
  const kept =
    schedule.retention_days > 0
      ? ` Scheduled archives are kept ${schedule.retention_days} ${schedule.retention_days === 1 ? 'day' : 'days'}; named ones until deleted.`
      : ' Archives are kept until deleted.';
  return when + (schedule.cron ? kept : '');
}
