import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.ts';
import health from './health.ts';
import status from './status.ts';

export async function systemRoutes(app: FastifyInstance, ctx: RouteContext) {
  health(app, ctx);
  status(app, ctx);
}
