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

/** Pino options shared by every service: JSON lines, level from config, secrets redacted. */
export function createLoggerOptions(level: string, service: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}
