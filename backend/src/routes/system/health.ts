import { Type } from 'typebox';
import type { SystemRouteModule } from './context.ts';

const Health = Type.Object({ status: Type.String(), service: Type.String(), database: Type.String() });

/** GET /health: 200 when the database answers through the pool, 503 otherwise. No API key needed. */
const health: SystemRouteModule = (app, ctx) => {
  app.get(
    '/health',
    {
      // Health checks poll every few seconds: log them only when something is wrong.
      logLevel: 'warn',
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness and database check',
        tags: ['system'],
        response: { 200: Health, 503: Health },
      },
    },
    async function handleGetHealth(_request, reply) {
      if (await ctx.system.isDatabaseHealthy())
        return { status: 'healthy', service: 'backend', database: 'connected' };
      return reply.code(503).send({ status: 'unhealthy', service: 'backend', database: 'unreachable' });
    },
  );
};

export default health;
