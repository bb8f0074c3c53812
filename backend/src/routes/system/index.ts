import type { FastifyInstance } from 'fastify';
import type { SystemContext } from './context.ts';
import health from './health.ts';
import status from './status.ts';

export async function systemRoutes(app: FastifyInstance, ctx: SystemContext) {
  health(app, ctx);
  status(app, ctx);
}
