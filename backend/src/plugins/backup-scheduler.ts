import type { Queryable } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { Config } from '../config.ts';
import type { BackupsService, Log } from '../modules/backups/backups.service.ts';
import { createBackupScheduler } from '../modules/backups/scheduler.ts';

export interface BackupSchedulerOptions {
  settings: Readonly<Config['backups']>;
  backups: BackupsService;
  db: Queryable;
  log: Log;
}

/**
 * The backup schedule (BACKUP_SCHEDULE_CRON), started when the server listens (tests and tools that only build the
 * app never run it) and stopped on close; on listen a fresh install also gets its one-time restore token.
 */
async function backupScheduler(app: FastifyInstance, options: BackupSchedulerOptions) {
  const { settings, backups, db, log } = options;
  const scheduler = createBackupScheduler(
    { cron: settings.scheduleCron, retentionDays: settings.retentionDays, backupsDir: settings.dir },
    backups,
    db,
    log,
  );
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
