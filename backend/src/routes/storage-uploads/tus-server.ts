import { type Actor, ErrorCode, type ErrorAnswer, renderError } from '@selfdb/common';
import { ERRORS, Server } from '@tus/server';
import type { FastifyBaseLogger } from 'fastify';
import { CORS_EXPOSED_HEADERS, createOriginCheck } from '../../plugins/cors.ts';
import type { StorageUploadsContext } from './context.ts';

/** Response headers that tell a tus client which file its finished upload became. */
const FILE_ID_HEADER = 'X-SelfDB-File-Id';
const FILE_PATH_HEADER = 'X-SelfDB-File-Path';

/** tus statuses mapped to the error codes every other route uses. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.BAD_REQUEST,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.UPLOAD_OFFSET_MISMATCH,
  410: ErrorCode.NOT_FOUND,
  412: ErrorCode.BAD_REQUEST,
  413: ErrorCode.FILE_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
};

type TusError = Error & { status_code?: number; body?: string };

/** The errors @tus/server raises itself, as `{detail, code}` answers (the one renderer's `known` errors). */
function tusError(error: TusError): ErrorAnswer | null {
  if (error === ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION) {
    return {
      status: 400,
      body: {
        detail: 'Upload-Defer-Length is not supported: announce the size with Upload-Length',
        code: ErrorCode.BAD_REQUEST,
      },
    };
  }
  const status = error.status_code;
  if (status === undefined || (status >= 500 && status !== 501)) return null;
  const detail = (error.body ?? error.message).trim();
  // 501: a tus extension SelfDB does not offer (concatenation, …): the client's choice, not a server failure.
  if (status === 501) return { status: 400, body: { detail, code: ErrorCode.BAD_REQUEST } };
  return { status, body: { detail, code: CODE_BY_STATUS[status] ?? ErrorCode.BAD_REQUEST } };
}

/**
 * The tus 1.0 server (@tus/server) that answers one signed-in user's request: its hooks close over `actor`, so the
 * user reaches them without a side channel; the data store and the lock are shared by every request. Errors are
 * rendered by the one renderer (common/src/error-response.ts) as `{detail, code}`.
 */
export function tusServerFor(ctx: StorageUploadsContext, actor: Actor, log: FastifyBaseLogger): Server {
  const { resumable, config } = ctx;
  return new Server({
    path: '/storage/uploads',
    datastore: resumable.store,
    locker: resumable.locker,
    respectForwardedHeaders: config.trustProxy,
    // The global CORS policy (plugins/cors.ts): this response is written by tus, past the CORS plugin.
    allowedOrigins: createOriginCheck(config.corsOrigins),
    allowedCredentials: true,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    disableTerminationForFinishedUploads: true,
    // Relative to the URL the client posted to, so it works behind a proxy that strips a prefix (Caddy's /api).
    generateUrl: (req, { id }) => (new URL(req.url).pathname.endsWith('/') ? id : `uploads/${id}`),

    async onIncomingRequest(req, id) {
      if (req.method !== 'POST') await resumable.authorize(actor, req.method, id);
    },

    async onUploadCreate(_req, upload) {
      const metadata = await resumable.create(actor, {
        id: upload.id,
        size: upload.size,
        metadata: upload.metadata ?? {},
      });
      return { metadata };
    },

    async onUploadFinish(_req, upload) {
      const row = await resumable.finish(actor, { id: upload.id, metadata: upload.metadata ?? {} });
      return {
        status_code: 204,
        headers: { [FILE_ID_HEADER]: row.id, [FILE_PATH_HEADER]: encodeURIComponent(row.path) },
      };
    },

    onResponseError(_req, error) {
      const answer = renderError(error as TusError, { known: tusError });
      if (answer) return { status_code: answer.status, body: JSON.stringify(answer.body) };
      log.error({ err: error }, 'resumable upload failed');
      return {
        status_code: 500,
        body: JSON.stringify({ detail: 'Internal server error', code: ErrorCode.INTERNAL_ERROR }),
      };
    },
  });
}
