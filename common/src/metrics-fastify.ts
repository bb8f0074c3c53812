// `GET /metrics` and the request metrics of the Fastify services (backend, storage, functions): one hook, one
// hidden route. The realtime service (plain node:http) uses metrics.ts directly.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';
import { createMetricsGuard, METRICS_PATH, type ServiceMetrics } from './metrics.ts';

/**
 * Observes every answered request (route pattern from `routeOptions.url`; unmatched routes share one label) and
 * serves the registry on `GET /metrics` behind METRICS_TOKEN: 404 when the token is unset, 401 without the right
 * Bearer token. The route is hidden from the OpenAPI document. Call on the root instance, before the routes.
 */
export function installMetrics(
  app: FastifyInstance,
  metrics: ServiceMetrics,
  token: string | null | undefined,
): void {
  const check = createMetricsGuard(token);
  if (metrics.enabled) {
    app.addHook('onResponse', function observeRequest(request: FastifyRequest, reply: FastifyReply, done) {
      metrics.observeRequest(
        request.routeOptions.url,
        request.method,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
  app.get(
    METRICS_PATH,
    { schema: { hide: true } },
    async function handleGetMetrics(request: FastifyRequest, reply: FastifyReply) {
      const access = check(request.headers.authorization);
      if (access === 'off') throw AppError.notFound();
      if (access === 'refused') throw AppError.unauthorized('Invalid metrics token');
      reply.header('content-type', metrics.contentType);
      reply.header('cache-control', 'no-store');
      return metrics.render();
    },
  );
}
