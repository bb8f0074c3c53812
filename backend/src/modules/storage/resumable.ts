import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { type Actor, AppError, ErrorCode } from '@selfdb/common';
import { DataStore, ERRORS, Server, Upload } from '@tus/server';
import type { FastifyBaseLogger } from 'fastify';
import { CORS_EXPOSED_HEADERS, createOriginCheck } from '../../plugins/cors.ts';
import { findBucketById } from './buckets.repository.ts';
import { assertVisible } from './buckets.service.ts';
import type { QuotaService } from './quota.service.ts';
import type { StorageClient } from './storage-client.ts';
import { MIME_TYPE_PATTERN } from './storage.dto.ts';
import type { UploadsService } from './uploads.service.ts';

/** Response headers that tell a tus client which file its finished upload became. */
const FILE_ID_HEADER = 'X-SelfDB-File-Id';
const FILE_PATH_HEADER = 'X-SelfDB-File-Path';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const mimeType = new RegExp(MIME_TYPE_PATTERN);

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

/**
 * The tus data store of SelfDB: bytes go to the storage service's resumable uploads (a partial file next to the
 * buckets), never to the backend's disk, so completing an upload moves no bytes.
 */
class StorageServiceStore extends DataStore {
  constructor(
    private readonly storage: StorageClient,
    private readonly quota: QuotaService,
  ) {
    super();
    // Not 'creation-defer-length': an upload's size is known when it is created, so the size limit, the quota and
    // the free-space reserve are decided before a byte is accepted.
    this.extensions = ['creation', 'creation-with-upload', 'termination'];
  }

  override async create(upload: Upload): Promise<Upload> {
    const meta = upload.metadata ?? {};
    try {
      const created = await this.storage.createUpload({
        id: upload.id,
        bucket: String(meta.bucket),
        path: String(meta.path),
        length: upload.size ?? 0,
        meta,
      });
      upload.creation_date = created.createdAt;
      return upload;
    } catch (err) {
      // onUploadCreate reserved the quota for it.
      await this.quota.releaseUpload(upload.id);
      throw err;
    }
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    return (await this.storage.appendUpload(id, offset, stream)).offset;
  }

  override async getUpload(id: string): Promise<Upload> {
    const session = await this.storage.getUpload(id);
    if (!session) throw ERRORS.FILE_NOT_FOUND;
    return new Upload({
      id,
      size: session.length,
      offset: session.offset,
      metadata: session.meta,
      creation_date: session.createdAt,
    });
  }

  override async remove(id: string): Promise<void> {
    try {
      await this.storage.deleteUpload(id);
    } finally {
      await this.quota.releaseUpload(id);
    }
  }
}

/**
 * Resumable uploads with the tus 1.0 protocol (@tus/server) at `/storage/uploads`: creation (+ with upload), HEAD,
 * PATCH and termination. Signed-in users only; each upload belongs to its creator. `Upload-Metadata` carries what
 * the raw upload takes as query parameters: `bucket_id`, `filename`, optional `path`, `content_type` (or tus-js-
 * client's `filetype`). A finished upload becomes the same file row as a raw upload; the response names it in
 * X-SelfDB-File-Id and X-SelfDB-File-Path.
 */
export function createResumableUploads(options: {
  storage: StorageClient;
  uploads: UploadsService;
  quota: QuotaService;
  /** How long an unfinished upload lives without activity (STORAGE_UPLOAD_EXPIRY_HOURS): its quota lease. */
  uploadExpirySeconds: number;
  pool: Parameters<typeof findBucketById>[0];
  log: FastifyBaseLogger;
  corsOrigins: string[];
  trustProxy: boolean;
}) {
  const { storage, uploads, quota, pool, log, uploadExpirySeconds } = options;
  /** The signed-in user of each request handed to tus (set by the route before it hands over). */
  const actors = new WeakMap<IncomingMessage, Actor>();

  const actorOf = (req: { runtime?: { node?: { req: unknown } } }): Actor => {
    const nodeRequest = req.runtime?.node?.req as IncomingMessage | undefined;
    const actor = nodeRequest ? actors.get(nodeRequest) : undefined;
    if (!actor) throw AppError.unauthorized('Not authenticated', ErrorCode.NOT_AUTHENTICATED);
    return actor;
  };
  const badMetadata = (detail: string) => AppError.badRequest(`Upload-Metadata: ${detail}`);

  const server = new Server({
    path: '/storage/uploads',
    datastore: new StorageServiceStore(storage, quota),
    respectForwardedHeaders: options.trustProxy,
    // The global CORS policy (plugins/cors.ts): this response is written by tus, past the CORS plugin.
    allowedOrigins: createOriginCheck(options.corsOrigins),
    allowedCredentials: true,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    disableTerminationForFinishedUploads: true,
    // Relative to the URL the client posted to, so it works behind a proxy that strips a prefix (Caddy's /api).
    generateUrl: (req, { id }) => (new URL(req.url).pathname.endsWith('/') ? id : `uploads/${id}`),

    async onIncomingRequest(req, id) {
      const actor = actorOf(req);
      if (req.method === 'POST') return;
      const session = await storage.getUpload(id);
      // Someone else's upload looks like a missing one.
      if (session && session.meta.owner_id !== actor.id) throw ERRORS.FILE_NOT_FOUND;
      // More bytes renew the upload's quota lease (re-checked, if it had lapsed and the quota was used meanwhile).
      if (session && req.method === 'PATCH') {
        await quota.reserveUpload(actor.id, id, session.length, uploadExpirySeconds);
      }
    },

    async onUploadCreate(req, upload) {
      const actor = actorOf(req);
      const meta = upload.metadata ?? {};
      const bucketId = meta.bucket_id ?? '';
      const filename = meta.filename ?? '';
      const contentType = meta.content_type || meta.filetype || 'application/octet-stream';
      if (!UUID.test(bucketId)) throw badMetadata('bucket_id must be a bucket UUID');
      if (!filename) throw badMetadata('filename is required');
      if (!mimeType.test(contentType) || contentType.length > 100) throw badMetadata('invalid content_type');
      if (upload.size === undefined) throw AppError.badRequest('Upload-Length is required');
      const target = { bucketId, filename, path: meta.path || null, contentType, declaredSize: upload.size };
      const { bucket, path } = await uploads.prepare(actor, target);
      // The whole length counts against the user's quota until the upload finishes, expires or is abandoned.
      await quota.reserveUpload(actor.id, upload.id, upload.size, uploadExpirySeconds);
      // Only these keys are kept: the owner comes from the token, never from the client.
      return {
        metadata: {
          bucket_id: bucket.id,
          bucket: bucket.name,
          filename,
          path,
          content_type: contentType,
          owner_id: actor.id,
        },
      };
    },

    async onUploadFinish(req, upload) {
      const actor = actorOf(req);
      const meta = upload.metadata ?? {};
      const bucket = assertVisible(actor, await findBucketById(pool, String(meta.bucket_id)));
      const requested = String(meta.path);
      let row;
      try {
        const stored = await uploads.completeResumable(bucket, upload.id, requested);
        row = await uploads.record(bucket, stored, {
          ownerId: actor.id,
          mimeType: String(meta.content_type ?? 'application/octet-stream'),
        });
      } finally {
        // The file row counts from now on; an upload that could not complete reserves again if it gets more bytes.
        await quota.releaseUpload(upload.id);
      }
      return {
        status_code: 204,
        headers: { [FILE_ID_HEADER]: row.id, [FILE_PATH_HEADER]: encodeURIComponent(row.path) },
      };
    },

    onResponseError(_req, error) {
      if (error instanceof AppError) {
        return {
          status_code: error.statusCode,
          body: JSON.stringify({ detail: error.message, code: error.code }),
        };
      }
      if (error === ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION) {
        return {
          status_code: 400,
          body: JSON.stringify({
            detail: 'Upload-Defer-Length is not supported: announce the size with Upload-Length',
            code: ErrorCode.BAD_REQUEST,
          }),
        };
      }
      const status = 'status_code' in error ? error.status_code : 500;
      if (status === 501) {
        // A tus extension SelfDB does not offer (concatenation, …): the client's choice, not a server failure.
        const detail = ('body' in error ? String(error.body) : error.message).trim();
        return { status_code: 400, body: JSON.stringify({ detail, code: ErrorCode.BAD_REQUEST }) };
      }
      if (status >= 500) {
        log.error({ err: error }, 'resumable upload failed');
        return {
          status_code: 500,
          body: JSON.stringify({ detail: 'Internal server error', code: ErrorCode.INTERNAL_ERROR }),
        };
      }
      const detail = ('body' in error ? String(error.body) : error.message).trim();
      return {
        status_code: status,
        body: JSON.stringify({ detail, code: CODE_BY_STATUS[status] ?? ErrorCode.BAD_REQUEST }),
      };
    },
  });

  return {
    /** Hands a request (already authenticated) to the tus server, which answers it. */
    handle(request: IncomingMessage, response: Parameters<Server['handle']>[1], actor: Actor) {
      actors.set(request, actor);
      return server.handle(request, response);
    },
  };
}

export type ResumableUploads = ReturnType<typeof createResumableUploads>;
