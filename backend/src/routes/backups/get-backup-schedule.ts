import { ERRORS, isAdmin } from '@selfdb/common';
import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { BackupsRouteModule } from './context.ts';
import { BackupSchedule } from './schemas.ts';

/**
 * GET /backups/schedule (not in SelfDB 0.0.5): the backup schedule and retention this server runs
 * (BACKUP_SCHEDULE_CRON, BACKUP_RETENTION_DAYS) and its next tick, for the dashboard (admins only).
 */
const getBackupSchedule: BackupsRouteModule = (app, ctx) => {
  app.get(
    '/backups/schedule',
    {
      schema: {
        operationId: 'getBackupSchedule',
        summary: 'The backup schedule and retention',
        tags: ['backups'],
        security: [{ HTTPBearer: [] }],
        response: { 200: ref(BackupSchedule) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleGetBackupSchedule(request) {
      if (!isAdmin(currentUser(request))) throw ERRORS.adminRequired();
      const settings = ctx.config.backups;
      return {
        cron: settings.scheduleCron || null,
        retention_days: settings.retentionDays,
        next_run_at: ctx.scheduler.nextRun()?.toISOString() ?? null,
      };
    },
  );
};

export default getBackupSchedule;
