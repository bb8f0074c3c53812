import type { Readable } from 'node:stream';
import type { ByteLimit, ByteRange, NewUpload, StoredObject, UploadState } from '@selfdb/common';

// The wire types shared with the backend live in @selfdb/common; re-exported for the store's implementations.
export type { NewUpload, StoredObject, UploadState };

/**
 * What the storage service needs from a byte store. `local.ts` keeps bytes on a file system; an S3-compatible
 * object store can implement the same contract (multipart uploads for the resumable part, conditional writes that
 * never replace an object). Every method validates its bucket name and path itself and throws AppErrors meant for the caller.
 */
export interface ObjectStore {
  /** Fails when the store cannot be used (root missing or not writable). */
  checkHealth(): Promise<void>;

  /** Idempotent. */
  createBucket(name: string): Promise<void>;
  bucketExists(name: string): Promise<boolean>;
  /** Idempotent; the bucket and every object in it disappear at once (removal of the bytes may finish later). */
  deleteBucket(name: string): Promise<void>;

  /**
   * Streams `body` into a new object at exactly `path`. Nothing is visible there until every byte is written,
   * counted, hashed, checked against the options and flushed to disk. A taken path fails with 409 FILE_EXISTS (the
   * caller chooses names; the store never renames nor overwrites). An aborted or failed write leaves nothing.
   */
  putObject(bucket: string, path: string, body: Readable, options: PutOptions): Promise<StoredObject>;
  /** null when there is no such object. */
  openObject(bucket: string, path: string): Promise<OpenedObject | null>;
  /** Idempotent: false when there was nothing to delete. */
  deleteObject(bucket: string, path: string): Promise<boolean>;

  /** Resumable uploads: the bytes accumulate in a partial object that becomes visible only on completion. */
  createUpload(upload: NewUpload): Promise<UploadState>;
  getUpload(id: string): Promise<UploadState | null>;
  /** Appends at `offset` (which must be the current one); keeps what arrived even when the body is cut short. */
  appendUpload(id: string, offset: number, body: Readable): Promise<UploadState>;
  /**
   * Verifies, hashes and links the upload into its bucket, at `path` when given (else where it was created for); a
   * taken path fails with 409 FILE_EXISTS and leaves the upload as it was.
   */
  completeUpload(id: string, path?: string): Promise<StoredObject>;
  deleteUpload(id: string): Promise<boolean>;
  /** Deletes unfinished uploads whose last activity is older than `maxAgeMs`; returns how many. */
  deleteExpiredUploads(maxAgeMs: number): Promise<number>;
}

export interface PutOptions {
  /** The limit the caller decided: refuse (413 FILE_TOO_LARGE) as soon as the body goes past it. */
  limit?: ByteLimit | null;
  /** The body must be exactly this long (the request's Content-Length). */
  expectedSize?: number;
  /** Lower-case hex SHA-256 the body must have (400 CHECKSUM_MISMATCH otherwise). */
  expectedSha256?: string;
}

export interface ObjectInfo {
  size: number;
  etag: string;
  modified: Date;
}

/** An object opened for reading: `info` describes exactly the bytes the stream will give. */
export interface OpenedObject {
  info: ObjectInfo;
  /** The whole object, or one range of it; the object is closed when the stream ends or is destroyed. */
  stream(range?: ByteRange): Readable;
  /** Releases the object without reading it. */
  close(): Promise<void>;
}
