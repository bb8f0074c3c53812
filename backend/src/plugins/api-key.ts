import { AppError, apiKeyDigest, checkApiKey } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';

/**
 * Paths that answer without an API key: health checks, the metrics (METRICS_TOKEN instead), the API docs, incoming webhooks, and signed storage URLs
 * (their signature is the credential).
 */
export function isKeyExempt(path: string): boolean {
  return (
    path === '/health' ||
    path === '/metrics' ||
    path === '/openapi.json' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path.startsWith('/webhooks/trigger/') ||
    path.startsWith('/storage/signed/')
  );
}

/**
 * Requires `X-API-Key` on every request except the exempt paths (missing → 406, wrong → 401, as SelfDB 0.0.5).
 * The realtime socket may pass it as the `X-API-Key` query parameter, since browsers cannot set WebSocket headers.
 */
export function installApiKeyCheck(app: FastifyInstance, apiKey: string) {
  const expected = apiKeyDigest(apiKey);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?', 1)[0] ?? '/';
    if (isKeyExempt(path)) return;
    let presented = request.headers['x-api-key'];
    if (presented === undefined && path.startsWith('/realtime/socket')) {
      presented = (request.query as Record<string, string | string[] | undefined>)['X-API-Key'];
    }
    const failure = checkApiKey(presented, expected);
    if (failure) throw new AppError(failure.status, failure.code, failure.detail);
  });
}
