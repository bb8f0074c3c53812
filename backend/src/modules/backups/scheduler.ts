// The backup schedule (BACKUP_SCHEDULE_CRON). Every backend process runs it; each cron tick is claimed in the
// database first (backup_schedule_runs), so however many processes or replicas fire, one archive is made per
// tick. A tick that finds a backup or restore running is skipped with a log line, as are ticks claimed elsewhere.
import { hostname } from 'node:os';
import { AppError, ErrorCode, type Queryable } from '@selfdb/common';
import { schedule, type ScheduledTask } from 'node-cron';
import { deleteExpiredArchives } from './archives.ts';
import { claimScheduledRun, finishScheduledRun, pruneScheduledRuns } from './backups.repository.ts';
import type { BackupsService, Log } from './backups.service.ts';

export type TickOutcome = 'created' | 'skipped' | 'claimed-elsewhere' | 'failed';

export interface SchedulerOptions {
  cron: string;
  retentionDays: number;
  backupsDir: string;
}

/** Claim rows are kept this long (they only guard ticks that are long past). */
const KEEP_CLAIMS_DAYS = 90;

export function createBackupScheduler(
  options: SchedulerOptions,
  service: Pick<BackupsService, 'createBackup'>,
  db: Queryable,
  log: Log,
) {
  const processId = `${hostname()}:${process.pid}`;
  let task: ScheduledTask | null = null;
  /** Ticks still running: stop() waits for them, so that no backup outlives the scheduler that started it. */
  const running = new Set<Promise<TickOutcome>>();

  /** One cron tick: claim it, back up, apply the retention. Never throws (a scheduler has nobody to tell). */
  async function runTick(scheduledFor: Date): Promise<TickOutcome> {
    // Ticks are whole seconds; every process computes the same value for the same tick.
    const tick = new Date(Math.floor(scheduledFor.getTime() / 1000) * 1000);
    try {
      if (!(await claimScheduledRun(db, tick, processId))) {
        log.info(`scheduled backup of ${tick.toISOString()}: another process took this tick`);
        return 'claimed-elsewhere';
      }
    } catch (err) {
      log.error(`scheduled backup of ${tick.toISOString()} not started: ${(err as Error).message}`);
      return 'failed';
    }
    try {
      const created = await service.createBackup({ trigger: 'schedule', date: tick });
      await finishScheduledRun(db, tick, 'created', created.filename, null);
      const deleted = await deleteExpiredArchives(options.backupsDir, options.retentionDays);
      for (const name of deleted) log.info(`backup retention: deleted ${name}`);
      await pruneScheduledRuns(db, KEEP_CLAIMS_DAYS);
      return 'created';
    } catch (err) {
      const busy = err instanceof AppError && err.code === ErrorCode.BACKUP_IN_PROGRESS;
      if (busy) log.info(`scheduled backup of ${tick.toISOString()} skipped: a backup or restore is running`);
      else log.error(`scheduled backup of ${tick.toISOString()} failed: ${(err as Error).message}`);
      await finishScheduledRun(db, tick, busy ? 'skipped' : 'failed', null, (err as Error).message).catch(
        () => {},
      );
      return busy ? 'skipped' : 'failed';
    }
  }

  return {
    runTick,
    start(): void {
      if (!options.cron || task) return;
      task = schedule(
        options.cron,
        (context) => {
          const tick = runTick(context.date);
          running.add(tick);
          void tick.finally(() => running.delete(tick));
          return tick;
        },
        { name: 'selfdb-backup' },
      );
      log.info(`backups scheduled: "${options.cron}"`);
    },
    /** When the next tick runs (null when the schedule is off or not started: it starts when the server listens). */
    nextRun(): Date | null {
      return task?.getNextRun() ?? null;
    },
    /** No tick starts after this; resolves once the ticks that had started have finished (they never throw). */
    async stop(): Promise<void> {
      await task?.destroy();
      task = null;
      await Promise.all(running);
    },
  };
}

export type BackupScheduler = ReturnType<typeof createBackupScheduler>;
