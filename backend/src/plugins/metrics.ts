import { addReadGauge, createServiceMetrics, type ServiceMetrics } from '@selfdb/common';
import type { BackupObserver } from '../modules/backups/backups.service.ts';

export interface BackendMetrics {
  metrics: ServiceMetrics;
  /** Given to the backups service: records the time and duration of the last backup written. */
  backups: BackupObserver;
}

/**
 * The backend's registry (`GET /metrics`, installed in app.ts): the request metrics of every service, the pools'
 * gauges (added by the composition root) and the last successful backup.
 */
export function createBackendMetrics(enabled = true): BackendMetrics {
  const metrics = createServiceMetrics('backend', enabled);
  const lastBackup = { at: 0, seconds: 0 };
  addReadGauge(
    metrics,
    'backup_last_success_timestamp_seconds',
    'Unix time of the last backup written by this process (0: none yet)',
    () => lastBackup.at,
  );
  addReadGauge(
    metrics,
    'backup_last_duration_seconds',
    'How long the last backup written by this process took',
    () => lastBackup.seconds,
  );
  return {
    metrics,
    backups: {
      backupCreated(durationMs) {
        lastBackup.at = Date.now() / 1000;
        lastBackup.seconds = durationMs / 1000;
      },
    },
  };
}
