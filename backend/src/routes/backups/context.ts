import type { BackupsService } from '../../modules/backups/backups.service.ts';
import type { BackupScheduler } from '../../modules/backups/scheduler.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/** What `/backups` routes get: the backups service and the schedule. */
export interface BackupsContext extends RouteContext {
  backups: BackupsService;
  scheduler: BackupScheduler;
}

export type BackupsRouteModule = RouteModule<BackupsContext>;
