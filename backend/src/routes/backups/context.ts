import type { FastifyInstance } from 'fastify';
import type { BackupsService } from '../../modules/backups/backups.service.ts';
import type { RouteContext } from '../context.ts';

export interface BackupsContext extends RouteContext {
  backups: BackupsService;
}

export type BackupsRouteModule = (app: FastifyInstance, ctx: BackupsContext) => void;
