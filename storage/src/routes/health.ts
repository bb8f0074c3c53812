import type { FastifyInstance } from 'fastify';
import type { ObjectStore } from '../backends/types.ts';

const HealthResponse = {
  type: 'object',
  properties: { status: { type: 'string' }, service: { type: 'string' }, detail: { type: 'string' } },
  required: ['status', 'service'],
} as const;

/** GET /health: 200 when the store can be read and written, 503 otherwise (no key needed). */
export async function healthRoutes(app: FastifyInstance, { store }: { store: ObjectStore }) {
  app.get(
    '/health',
    { schema: { response: { 200: HealthResponse, 503: HealthResponse } } },
    async function checkHealth(request, reply) {
      try {
        await store.checkHealth();
        return { status: 'healthy', service: 'storage' };
      } catch (err) {
        request.log.warn({ err }, 'storage root is not usable');
        return reply
          .code(503)
          .send({ status: 'unhealthy', service: 'storage', detail: 'The storage root is not usable' });
      }
    },
  );
}
