// Pure helpers of the Backups page: what kind of archive a name is, and a progress snapshot as one line and a
// fraction for the bar.
import type { BackupProgress } from '@selfdb/sdk';
import { formatBytes } from '../../lib/format.ts';

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
