import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from './errors.ts';

/**
 * The metering and checksum rules of an upload, shared by the backend (which decides the limits) and the storage
 * service (which writes exactly what it is told): one byte meter, one parser of the checksum header.
 */

/** The header in which a client (and the backend, to the storage service) announces an upload's SHA-256. */
export const CONTENT_SHA256_HEADER = 'x-content-sha256';

/**
 * The lower-case SHA-256 a `X-Content-SHA256` header announces; undefined without one; 400 unless it is 64 hex
 * digits.
 */
export function parseContentSha256(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[0-9a-fA-F]{64}$/.test(header)) {
    throw AppError.badRequest('X-Content-SHA256 must be 64 hex digits');
  }
  return header.toLowerCase();
}

/** The largest size an upload may have, and the error that refuses one past it. */
export interface ByteLimit {
  bytes: number;
  tooLarge(): Error;
}

/** Fails with `limit.tooLarge()` when an announced size (Content-Length, tus Upload-Length) is past `limit`. */
export function assertWithinLimit(size: number | undefined, limit: ByteLimit | null | undefined): void {
  if (limit && size !== undefined && size > limit.bytes) throw limit.tooLarge();
}

export interface ByteMeterOptions {
  /** Fail the stream as soon as the bytes pass this limit (before the chunk that passes it goes on). */
  limit?: ByteLimit | null;
  /** Hash the bytes (SHA-256), for `digest()`. */
  hash?: boolean;
  /**
   * Called before each chunk goes on, with the chunk's size and the total so far: a promise holds the chunk back
   * until it resolves (a quota reservation, a free-space claim), and fails the stream when it rejects.
   */
  gate?: (chunkBytes: number, totalBytes: number) => Promise<void> | null | undefined;
  highWaterMark?: number;
}

/**
 * An upload's bytes on their way: counted, failed as soon as they pass the limit, optionally hashed, and let
 * through only once the gate allows. A stand-in for the request, never the request itself: whoever sends it on
 * destroys it on any error, and destroying a request would close its socket before the error response is written.
 */
export class ByteMeter extends Transform {
  bytes = 0;
  private readonly hash: Hash | null;

  constructor(private readonly options: ByteMeterOptions = {}) {
    super({ highWaterMark: options.highWaterMark ?? 128 * 1024 });
    this.hash = options.hash ? createHash('sha256') : null;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const limit = this.options.limit;
    if (limit && this.bytes > limit.bytes) {
      callback(limit.tooLarge());
      return;
    }
    this.hash?.update(chunk);
    const waiting = this.options.gate?.(chunk.length, this.bytes);
    if (waiting) waiting.then(() => callback(null, chunk), callback);
    else callback(null, chunk);
  }

  /** Lower-case hex SHA-256 of everything that passed (with `hash: true`); call once, after the stream finished. */
  digest(): string {
    if (!this.hash) throw new Error('this ByteMeter does not hash');
    return this.hash.digest('hex');
  }
}
