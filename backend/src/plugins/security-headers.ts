import { SECURITY_HEADERS } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';

/**
 * CSP of the Swagger UI at /docs: its scripts, styles and images come from /docs/static on this origin, it fetches
 * the document and runs "Try it out" requests against this origin, and Swagger UI sets inline styles. Nothing may
 * frame it.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const isDocsPath = (url: string) => url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
const HEADERS = Object.entries(SECURITY_HEADERS);

/**
 * Security headers on every response: 2xx, errors, 404s, file downloads, and the responses routes write themselves
 * (tus uploads), because they are set on the raw response as the request arrives, before any hook can fail.
 * A route may still override one with `reply.header`.
 */
export function installSecurityHeaders(app: FastifyInstance) {
  app.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of HEADERS) reply.raw.setHeader(name, value);
    if (isDocsPath(request.url)) reply.raw.setHeader('content-security-policy', DOCS_CSP);
    done();
  });
}
