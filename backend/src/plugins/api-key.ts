import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';

/**
 * Paths that answer without an API key: health checks, the API docs, incoming webhooks, and signed storage URLs
 * (their signature is the credential).
 */
export function isKeyExempt(path: string): boolean {
  return (
    path === '/health' ||
    path === '/openapi.json' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path.startsWith('/webhooks/trigger/') ||
    path.startsWith('/storage/signed/')
  );
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Requires `X-API-Key` on every request except the exempt paths (missing → 406, wrong → 401, as SelfDB 0.0.5).
 * The realtime socket may pass it as the `X-API-Key` query parameter, since browsers cannot set WebSocket headers.
 */
export function installApiKeyCheck(app: FastifyInstance, apiKey: string) {
  const expected = digest(apiKey);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?', 1)[0] ?? '/';
    if (isKeyExempt(path)) return;
    let presented = request.headers['x-api-key'];
    if (presented === undefined && path.startsWith('/realtime/socket')) {
      presented = (request.query as Record<string, string | undefined>)['X-API-Key'];
    }
    if (presented === undefined || presented === '') {
      throw new AppError(406, ErrorCode.API_KEY_MISSING, 'Missing required header: X-API-Key');
    }
    const value = Array.isArray(presented) ? presented[0] : presented;
    if (!value || !timingSafeEqual(digest(value), expected)) {
      throw new AppError(401, ErrorCode.API_KEY_INVALID, 'Invalid API key');
    }
  });
}
