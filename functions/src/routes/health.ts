import type { FastifyInstance } from 'fastify';
import type { FunctionHost } from '../host.ts';

/**
 * GET /health (no key needed): `boot_id` is new at every start, so the backend can tell that the runtime
 * restarted (and holds no function) without waiting for a FUNCTION_NOT_DEPLOYED.
 */
export async function healthRoute(app: FastifyInstance, { host }: { host: FunctionHost }) {
  app.get('/health', async function health() {
    return { status: 'ok', boot_id: host.bootId, functions: host.count };
  });
}
