import type { LoggerOptions } from 'pino';

/** Paths never written to logs: credentials in headers and in auth request bodies. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.query["X-API-Key"]',
  'req.query.token',
  'password',
  'refresh_token',
  'access_token',
  'secret_key',
  '*.secret_key',
];

/** A request URL as logged: the token of a webhook's public trigger URL (a credential) is replaced. */
export function redactUrl(url: string): string {
  return url.replace(/^(\/webhooks\/trigger\/)[^/?#]+/, '$1[redacted]');
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Pino options shared by every service: JSON lines, level from config, secrets redacted. */
export function createLoggerOptions(level: string, service: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Fastify's request serializer, with the URL redacted.
    serializers: {
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: redactUrl(req.url ?? ''),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
}
