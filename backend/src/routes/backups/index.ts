import multipart from '@fastify/multipart';
import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createBackupsService } from '../../modules/backups/backups.service.ts';
import { createBackupScheduler } from '../../modules/backups/scheduler.ts';
import type { RouteContext } from '../context.ts';
import type { BackupsContext } from './context.ts';
import createBackup from './create-backup.ts';
import deleteBackup from './delete-backup.ts';
import downloadBackup from './download-backup.ts';
import getBackupProgress from './get-backup-progress.ts';
import getBackupSchedule from './get-backup-schedule.ts';
import listBackups from './list-backups.ts';
import restoreBackup from './restore-backup.ts';
import verifyBackup from './verify-backup.ts';

/** Routes that keep answering while a restore runs: liveness, the login page's status and progress, the docs. */
const OPEN_DURING_RESTORE = new Set(['/health', '/system/status', '/backups/progress', '/openapi.json']);
const isOpenDuringRestore = (request: FastifyRequest) => {
  const url = request.routeOptions.url ?? '';
  return request.method === 'OPTIONS' || OPEN_DURING_RESTORE.has(url) || url.startsWith('/docs');
};

/**
 * The 5 `/backups` operations of SelfDB 0.0.5 plus GET /backups/progress, POST /backups/{filename}/verify and GET /backups/schedule, the backup schedule (started when the
 * server listens, so tests and tools that only build the app never run it), and the guard that answers 503
 * RESTORE_IN_PROGRESS to every other request while a restore replaces the data. The guard must see every route,
 * so this plugin is registered in the root context (skip-override) and puts its routes in a child context.
 */
export async function backupsRoutes(app: FastifyInstance, ctx: RouteContext) {
  const log = {
    info: (message: string) => app.log.info(message),
    warn: (message: string) => app.log.warn(message),
    error: (message: string) => app.log.error(message),
  };
  const backups = createBackupsService(ctx.config, ctx.pool, log);
  const settings = ctx.config.backups;
  const scheduler = createBackupScheduler(
    { cron: settings.scheduleCron, retentionDays: settings.retentionDays, backupsDir: settings.dir },
    backups,
    ctx.pool,
    log,
  );

  app.addHook('onRequest', async (request) => {
    if (backups.isRestoring() && !isOpenDuringRestore(request)) {
      throw new AppError(
        503,
        ErrorCode.RESTORE_IN_PROGRESS,
        'A backup is being restored; try again in a moment',
        { 'retry-after': '5' },
      );
    }
  });
  app.addHook('onListen', async () => {
    scheduler.start();
    // A fresh install gets its one-time restore token (an initialized one loses any left from before).
    await backups.prepareRestoreToken().catch((err: Error) => log.error(`restore token: ${err.message}`));
  });
  app.addHook('onClose', async () => scheduler.stop());

  const areaCtx: BackupsContext = { ...ctx, backups, scheduler };
  await app.register(
    async (area) => {
      // Streaming mode only (request.file()): the archive goes to disk as it arrives.
      await area.register(multipart, { limits: { files: 1, fields: 10 } });
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
        route(area, areaCtx);
      }
    },
    { prefix: '/backups' },
  );
}
(backupsRoutes as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
