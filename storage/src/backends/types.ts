import type { Readable } from 'node:stream';
import type { ByteRange, NewUpload, StoredObject, UploadState } from '@selfdb/common';

// The wire types shared with the backend live in @selfdb/common; re-exported for the store's implementations.
export type { NewUpload, StoredObject, UploadState };

/**
 * What the storage service needs from a byte store. `local.ts` keeps bytes on a file system; an S3-compatible
 * object store can implement the same contract (multipart uploads for the resumable part, conditional writes for
 * `ifExists`). Every method validates its bucket name and path itself and throws AppErrors meant for the caller.
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
   * Streams `body` into a new object. Nothing is visible at `path` until every byte is written, counted, hashed,
   * checked against the options and flushed to disk. An aborted or failed write leaves nothing behind.
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
  /** Verifies, hashes and links the upload into its bucket, at `path` when given (else where it was created for). */
  completeUpload(id: string, ifExists: IfExists, path?: string): Promise<StoredObject>;
  deleteUpload(id: string): Promise<boolean>;
  /** Deletes unfinished uploads whose last activity is older than `maxAgeMs`; returns how many. */
  deleteExpiredUploads(maxAgeMs: number): Promise<number>;
}

/** What to do when the path is taken: fail (409 FILE_EXISTS) or take `name (1).ext`, `name (2).ext`, … */
export type IfExists = 'fail' | 'rename';

export interface PutOptions {
  ifExists: IfExists;
  /** Refuse (413 FILE_TOO_LARGE) as soon as the body goes past this many bytes. */
  maxBytes?: number;
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
