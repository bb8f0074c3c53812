import { performance } from 'node:perf_hooks';
import {
  type Actor,
  AppError,
  assertWithinLimit,
  type ByteMeter,
  canWriteContent,
  ErrorCode,
  ERRORS,
  hasSqlState,
  numberedPath,
  numberingParts,
  objectName,
  objectPathProblem,
  type Pool,
  SqlState,
  type StoredObject,
} from '@selfdb/common';
import type { FastifyBaseLogger } from 'fastify';
import { type BucketRow, findBucketById } from './buckets.repository.ts';
import { assertVisible } from './buckets.service.ts';
import { type FileRow, findTakenPaths, insertFile } from './files.repository.ts';
import type { QuotaService } from './quota.service.ts';
import { byteLimit, type SizeLimit, uploadMeter } from './request-body.ts';
import type { StorageClient } from './storage-client.ts';
import { downloadUrl, isMimeTypeAllowed, mimeEssence } from './storage.dto.ts';

export interface UploadTarget {
  bucketId: string;
  filename: string;
  /** Path inside the bucket; defaults to `filename`. */
  path?: string | null;
  contentType: string;
  /** The size announced before the bytes (Content-Length, tus Upload-Length), when there is one. */
  declaredSize?: number;
}

/** Where an upload's bytes come from: feeds them into the meter that takes them to the storage service. */
export type UploadSource = (meter: ByteMeter) => void;

export interface UploadLimits {
  /** STORAGE_MAX_FILE_SIZE_MB in bytes: the largest file of any bucket; null: no server-wide limit. */
  maxFileBytes: number | null;
}

/** SelfDB 0.0.5's FileUploadResponse. */
export interface FileUploadResponse {
  success: boolean;
  bucket: string;
  path: string;
  size: number;
  file_id: string;
  upload_time: number;
  url: string;
  original_path: string | null;
  message: string;
}

/** How many taken paths a resumable upload's completion skips before it gives up. */
const MAX_PLACEMENT_ATTEMPTS = 20;

/** Another upload took the path between the choice of the name and the write (SelfDB's existing answer). */
function concurrentUpload(): AppError {
  return AppError.conflict(
    'Another file took this path at the same moment: upload again',
    ErrorCode.FILE_EXISTS,
  );
}

/** The storage service's refusal to write over an existing file. */
export function isFileExists(err: unknown): boolean {
  return err instanceof AppError && err.code === ErrorCode.FILE_EXISTS;
}

export function createUploadsService(
  pool: Pool,
  storage: StorageClient,
  quota: QuotaService,
  limits: UploadLimits,
  log: FastifyBaseLogger,
) {
  /**
   * The largest file `bucket` takes: its own file_size_limit, capped by the server's STORAGE_MAX_FILE_SIZE_MB (a
   * bucket's owner can lower the server's limit, never raise it).
   */
  function sizeLimit(bucket: BucketRow): SizeLimit | null {
    const own = bucket.file_size_limit;
    const server = limits.maxFileBytes;
    if (own !== null && (server === null || own <= server)) return { bytes: own, fromBucket: true };
    return server === null ? null : { bytes: server, fromBucket: false };
  }

  /** Everything that can be refused before a byte is read: bucket, access, path, type, announced size. */
  async function prepare(
    actor: Actor | null,
    target: UploadTarget,
  ): Promise<{ bucket: BucketRow; path: string }> {
    const bucket = assertVisible(actor, await findBucketById(pool, target.bucketId));
    if (!canWriteContent(actor, bucket)) {
      throw AppError.unauthorized('Authentication required to upload files', ErrorCode.NOT_AUTHENTICATED);
    }
    const path = target.path || target.filename;
    const problem = objectPathProblem(path);
    if (problem) throw ERRORS.invalidPath(problem);
    if (!isMimeTypeAllowed(bucket.allowed_mime_types, target.contentType)) {
      throw new AppError(
        415,
        ErrorCode.MIME_TYPE_NOT_ALLOWED,
        `This bucket does not accept ${mimeEssence(target.contentType)} files`,
      );
    }
    assertWithinLimit(target.declaredSize, byteLimit(sizeLimit(bucket)));
    return { bucket, path };
  }

  /**
   * The requested path when no file has it, else the first free `name (n).ext` (SelfDB 0.0.5's renaming): the one
   * place a stored file's name is chosen. `alsoTaken`: paths the storage service refused as taken on disk.
   */
  async function freePath(bucketId: string, requested: string, alsoTaken: string[] = []): Promise<string> {
    const taken = await findTakenPaths(pool, bucketId, requested, numberingParts(requested));
    for (const path of alsoTaken) taken.add(path);
    if (!taken.has(requested)) return requested;
    for (let n = 1; ; n++) {
      const candidate = numberedPath(requested, n);
      if (!taken.has(candidate)) {
        const problem = objectPathProblem(candidate);
        if (problem) throw ERRORS.invalidPath(`No free name for this path: ${problem}`);
        return candidate;
      }
    }
  }

  /**
   * Records bytes the storage service holds as a file row. When the row cannot be written, the bytes are removed:
   * there is never a file without its row, nor a row without its bytes.
   */
  async function record(
    bucket: BucketRow,
    stored: StoredObject,
    file: { ownerId: string | null; mimeType: string },
  ): Promise<FileRow> {
    try {
      return await insertFile(pool, {
        bucketId: bucket.id,
        name: objectName(stored.path),
        path: stored.path,
        size: stored.size,
        mimeType: file.mimeType,
        ownerId: file.ownerId,
        checksum: stored.sha256,
      });
    } catch (err) {
      await storage
        .deleteObject(bucket.name, stored.path)
        .catch((cleanupError: unknown) =>
          log.error(
            { err: cleanupError, bucket: bucket.name, path: stored.path },
            'could not remove unrecorded bytes',
          ),
        );
      if (hasSqlState(err, SqlState.UNIQUE_VIOLATION)) throw concurrentUpload();
      if (hasSqlState(err, SqlState.FOREIGN_KEY_VIOLATION)) throw ERRORS.bucketNotFound();
      throw err;
    }
  }

  function uploadResponse(
    bucket: BucketRow,
    row: FileRow,
    requested: string,
    startedAt: number,
  ): FileUploadResponse {
    const renamed = row.path !== requested;
    return {
      success: true,
      bucket: bucket.name,
      path: row.path,
      size: row.size,
      file_id: row.id,
      upload_time: Math.round(performance.now() - startedAt) / 1000,
      url: downloadUrl(bucket.name, row.path),
      original_path: renamed ? requested : null,
      message: renamed
        ? `File uploaded successfully (renamed from '${requested}' to avoid overwrite)`
        : 'File uploaded successfully',
    };
  }

  return {
    prepare,
    freePath,
    record,

    /**
     * Links a finished resumable upload into its bucket at the path the backend chooses: the requested one, else
     * the first free `name (n).ext`. A path the storage service refuses as taken on disk (a file that took it
     * meanwhile) is skipped and the next one tried; the upload's bytes stay until one is free.
     */
    async completeResumable(bucket: BucketRow, uploadId: string, requested: string): Promise<StoredObject> {
      const refused: string[] = [];
      for (;;) {
        const path = await freePath(bucket.id, requested, refused);
        try {
          return await storage.completeUpload(uploadId, path);
        } catch (err) {
          if (!isFileExists(err)) throw err;
          if (refused.length >= MAX_PLACEMENT_ATTEMPTS) throw concurrentUpload();
          refused.push(path);
        }
      }
    },

    /**
     * An upload in one request (SelfDB 0.0.5's raw body, or a form's file part): the bytes stream through the
     * backend to the storage service, which writes them to a temp file and links it into place once complete; the
     * row is inserted only then. The size limit and the user's quota are enforced while the bytes stream (and
     * before, when the size is announced); the storage service keeps its volume's free-space reserve (507).
     */
    async upload(
      actor: Actor | null,
      target: UploadTarget,
      source: UploadSource,
      sha256?: string,
    ): Promise<FileUploadResponse> {
      const startedAt = performance.now();
      const { bucket, path } = await prepare(actor, target);
      const free = await freePath(bucket.id, path);
      const limit = sizeLimit(bucket);
      const reservation = actor ? quota.open(actor.id) : null;
      try {
        if (reservation && target.declaredSize !== undefined)
          await reservation.reserveUpFront(target.declaredSize);
        const meter = uploadMeter(limit, reservation);
        source(meter);
        // The storage service writes exactly `free`, never over a file: a file that took it meanwhile is a 409.
        const stored = await storage
          .putObject(bucket.name, free, meter, { contentLength: target.declaredSize, sha256 })
          .catch((err: unknown) => {
            throw isFileExists(err) ? concurrentUpload() : err;
          });
        const row = await record(bucket, stored, {
          ownerId: actor?.id ?? null,
          mimeType: target.contentType,
        });
        return uploadResponse(bucket, row, path, startedAt);
      } finally {
        await reservation?.release();
      }
    },
  };
}

export type UploadsService = ReturnType<typeof createUploadsService>;
