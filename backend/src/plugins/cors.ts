import cors from '@fastify/cors';
import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';

/** Every method an operation uses: GET/HEAD downloads, tus HEAD/PATCH/DELETE, and the rest of the API. */
export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Request headers a route reads that a browser only sends after a preflight: the API key and token, JSON bodies,
 * conditional and ranged downloads, the upload checksum, and tus 1.0 (what tus-js-client sends). Every header
 * parameter of the OpenAPI document must be here (backend/test/http-headers.test.ts checks it).
 */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'X-API-Key',
  'X-Restore-Token',
  'Content-Type',
  'Range',
  'If-Range',
  'If-None-Match',
  'X-Content-SHA256',
  'Tus-Resumable',
  'Upload-Length',
  'Upload-Offset',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Concat',
  'X-HTTP-Method-Override',
  'X-Requested-With',
];

/**
 * Response headers a browser client may read beyond the safelisted ones: downloads, tus, rate limits, the SQL
 * console's cut result.
 */
export const CORS_EXPOSED_HEADERS = [
  'Content-Disposition',
  'Content-Range',
  'Content-Length',
  'Accept-Ranges',
  'ETag',
  'Last-Modified',
  'Location',
  'Retry-After',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Expires',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'X-SelfDB-File-Id',
  'X-SelfDB-File-Path',
  'X-SelfDB-Truncated',
];

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = 600;

/**
 * Whether a browser page at `origin` may call the API: it is listed in CORS_ORIGINS (a trailing `/` in the list is
 * ignored), or the list holds `*`. Requests without an Origin header are not cross-origin and get no CORS headers.
 */
export function createOriginCheck(origins: readonly string[]): (origin: string | undefined) => boolean {
  const allowed = new Set(origins.map((origin) => origin.trim().replace(/\/+$/, '')));
  const any = allowed.has('*');
  return (origin) => origin !== undefined && origin !== '' && (any || allowed.has(origin));
}

/**
 * CORS for the origins of CORS_ORIGINS only: preflights are answered before the API key is checked (a browser
 * never sends it on one), for every method and header the API uses; responses carry the allow and expose headers.
 * A preflight from any other origin gets 403 CORS_ORIGIN_NOT_ALLOWED and no CORS header, so the browser refuses
 * the call and the developer can see why. tus uploads answer with the same policy (modules/storage/resumable.ts).
 */
export async function installCors(app: FastifyInstance, origins: readonly string[]) {
  const isAllowed = createOriginCheck(origins);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, isAllowed(origin)),
    // Any origin (`*`) never gets credentials: a page anywhere could otherwise send the user's cookies.
    credentials: !origins.some((origin) => origin.trim() === '*'),
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE,
    strictPreflight: false,
  });
  app.addHook('onRequest', async (request) => {
    const { origin } = request.headers;
    if (
      request.method === 'OPTIONS' &&
      origin !== undefined &&
      request.headers['access-control-request-method'] !== undefined &&
      !isAllowed(origin)
    ) {
      throw new AppError(
        403,
        ErrorCode.CORS_ORIGIN_NOT_ALLOWED,
        'This origin is not allowed to call the API: add it to CORS_ORIGINS',
      );
    }
  });
}
