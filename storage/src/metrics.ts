import { addReadCounter, createServiceMetrics, installMetrics } from '@selfdb/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The routes whose bodies are file bytes (not a bucket's JSON). */
const FILE_ROUTES = /^\/api\/v1\/(files|uploads)\//;

/** A request or reply's declared length in bytes (0 when absent or not a number). */
function declaredLength(value: unknown): number {
  const bytes = Number(value);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : 0;
}

/**
 * `GET /metrics` of the storage service: the request metrics plus the bytes received and sent, counted from the
 * declared lengths of the file requests (writes, resumable chunks, reads) that succeeded (an upload always declares its length; a download
 * cut off by its client counts whole).
 */
export function installStorageMetrics(app: FastifyInstance, token: string | null | undefined): void {
  const metrics = createServiceMetrics('storage', Boolean(token));
  const bytes = { received: 0, sent: 0 };
  addReadCounter(
    metrics,
    'storage_bytes_received_total',
    'Bytes of request bodies accepted (uploads)',
    () => bytes.received,
  );
  addReadCounter(metrics, 'storage_bytes_sent_total', 'Bytes of answers sent (downloads)', () => bytes.sent);
  if (metrics.enabled) {
    app.addHook('onResponse', function countBytes(request: FastifyRequest, reply: FastifyReply, done) {
      const route = request.routeOptions.url ?? '';
      if (reply.statusCode < 300 && FILE_ROUTES.test(route)) {
        if (request.method === 'GET') bytes.sent += declaredLength(reply.getHeader('content-length'));
        else bytes.received += declaredLength(request.headers['content-length']);
      }
      done();
    });
  }
  installMetrics(app, metrics, token);
}
