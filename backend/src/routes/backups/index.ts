import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { BackupsContext } from './context.ts';
import createBackup from './create-backup.ts';
import deleteBackup from './delete-backup.ts';
import downloadBackup from './download-backup.ts';
import getBackupProgress from './get-backup-progress.ts';
import getBackupSchedule from './get-backup-schedule.ts';
import listBackups from './list-backups.ts';
import restoreBackup from './restore-backup.ts';
import verifyBackup from './verify-backup.ts';

/**
 * The 5 `/backups` operations of SelfDB 0.0.5 plus GET /backups/progress, POST /backups/{filename}/verify
 * and GET /backups/schedule. The schedule and the maintenance mode a
 * restore turns on are plugins of their own (plugins/backup-scheduler.ts, plugins/maintenance-mode.ts).
 */
export async function backupsRoutes(app: FastifyInstance, ctx: BackupsContext) {
  // Streaming mode only (request.file()): the archive goes to disk as it arrives.
  await app.register(multipart, { limits: { files: 1, fields: 10 } });
  for (const route of [
    listBackups,
    createBackup,
    restoreBackup,
    getBackupProgress,
    downloadBackup,
    deleteBackup,
    verifyBackup,
    getBackupSchedule,
  ]) {
    route(app, ctx);
  }
}
