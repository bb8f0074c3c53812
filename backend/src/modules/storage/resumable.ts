import type { Readable } from 'node:stream';
import { type Actor, AppError, type Pool } from '@selfdb/common';
import { DataStore, ERRORS, MemoryLocker, Upload } from '@tus/server';
import { findBucketById } from './buckets.repository.ts';
import { assertVisible } from './buckets.service.ts';
import type { FileRow } from './files.repository.ts';
import type { QuotaService } from './quota.service.ts';
import type { StorageClient } from './storage-client.ts';
import { MIME_TYPE_PATTERN } from './storage.dto.ts';
import type { UploadsService } from './uploads.service.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const mimeType = new RegExp(MIME_TYPE_PATTERN);

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
      // The service's create reserved the quota for it.
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
 * The rules of resumable uploads (the tus protocol itself is spoken by routes/storage-uploads/): who may touch an
 * upload, what its creation is checked against (the same policy as a one-request upload), and the file row it
 * becomes. Each upload belongs to its creator; the owner comes from the token, never from the client.
 */
export function createResumableService(options: {
  pool: Pool;
  storage: StorageClient;
  uploads: UploadsService;
  quota: QuotaService;
  /** How long an unfinished upload lives without activity (STORAGE_UPLOAD_EXPIRY_HOURS): its quota lease. */
  uploadExpirySeconds: number;
}) {
  const { pool, storage, uploads, quota, uploadExpirySeconds } = options;
  const badMetadata = (detail: string) => AppError.badRequest(`Upload-Metadata: ${detail}`);

  return {
    /** The tus data store (shared by every request) and the lock that keeps two requests off one upload. */
    store: new StorageServiceStore(storage, quota),
    locker: new MemoryLocker(),

    /** Before any request on an existing upload: someone else's looks missing; more bytes renew the quota lease. */
    async authorize(actor: Actor, method: string, id: string): Promise<void> {
      const session = await storage.getUpload(id);
      if (session && session.meta.owner_id !== actor.id) throw ERRORS.FILE_NOT_FOUND;
      // Re-checked, if the lease had lapsed and the quota was used meanwhile.
      if (session && method === 'PATCH') {
        await quota.reserveUpload(actor.id, id, session.length, uploadExpirySeconds);
      }
    },

    /**
     * Checks a new upload as a one-request upload is checked (bucket, access, path, type, size) and reserves its
     * whole length against the user's quota; returns the only metadata kept with it.
     */
    async create(
      actor: Actor,
      upload: { id: string; size: number | undefined; metadata: Record<string, string | null> },
    ): Promise<Record<string, string>> {
      const meta = upload.metadata;
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
      return {
        bucket_id: bucket.id,
        bucket: bucket.name,
        filename,
        path,
        content_type: contentType,
        owner_id: actor.id,
      };
    },

    /** A whole upload becomes a file row, at the path the backend chooses (`name (n).ext` when taken). */
    async finish(
      actor: Actor,
      upload: { id: string; metadata: Record<string, string | null> },
    ): Promise<FileRow> {
      const meta = upload.metadata;
      const bucket = assertVisible(actor, await findBucketById(pool, String(meta.bucket_id)));
      try {
        const stored = await uploads.completeResumable(bucket, upload.id, String(meta.path));
        return await uploads.record(bucket, stored, {
          ownerId: actor.id,
          mimeType: String(meta.content_type ?? 'application/octet-stream'),
        });
      } finally {
        // The file row counts from now on; an upload that could not complete reserves again if it gets more bytes.
        await quota.releaseUpload(upload.id);
      }
    },
  };
}

export type ResumableService = ReturnType<typeof createResumableService>;
