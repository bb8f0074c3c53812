import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { BackupsService, Log } from '../modules/backups/backups.service.ts';
import type { BackupScheduler } from '../modules/backups/scheduler.ts';

export interface BackupSchedulerOptions {
  scheduler: BackupScheduler;
  backups: BackupsService;
  log: Log;
}

/**
 * The backup schedule (BACKUP_SCHEDULE_CRON), started when the server listens (tests and tools that only build the
 * app never run it) and stopped on close; on listen a fresh install also gets its one-time restore token.
 */
async function backupScheduler(app: FastifyInstance, options: BackupSchedulerOptions) {
  const { scheduler, backups, log } = options;
  app.addHook('onListen', async function startBackupScheduler() {
    scheduler.start();
    // A fresh install gets its one-time restore token (an initialized one loses any left from before).
    await backups.prepareRestoreToken().catch((err: Error) => log.error(`restore token: ${err.message}`));
  });
  app.addHook('onClose', async function stopBackupScheduler() {
    await scheduler.stop();
  });
}

export const backupSchedulerPlugin = fastifyPlugin(backupScheduler, { name: 'selfdb-backup-scheduler' });
