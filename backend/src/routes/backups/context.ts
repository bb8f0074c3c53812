import type { FastifyInstance } from 'fastify';
import type { BackupsService } from '../../modules/backups/backups.service.ts';
import type { BackupScheduler } from '../../modules/backups/scheduler.ts';
import type { RouteContext } from '../context.ts';

export interface BackupsContext extends RouteContext {
  backups: BackupsService;
  scheduler: BackupScheduler;
}

export type BackupsRouteModule = (app: FastifyInstance, ctx: BackupsContext) => void;
