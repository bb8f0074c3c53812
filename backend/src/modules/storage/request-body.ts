import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { ERRORS, feed } from '@selfdb/common';
import type { QuotaReservation } from './quota.service.ts';

/** The largest file an upload may be, and whose rule that is (for the message). */
export interface SizeLimit {
  bytes: number;
  /** true: the bucket's file_size_limit; false: the server's STORAGE_MAX_FILE_SIZE_MB. */
  fromBucket: boolean;
}

/**
 * An upload's bytes on their way to the storage service: counted, failed with 413 as soon as they pass the size
 * limit, and (with a quota) let through only once the user's quota reservation covers them. It is a stand-in, not
 * the request itself: the HTTP client that sends it on destroys it on any error, and destroying the request would
 * close the socket before the error response is written.
 */
export class UploadMeter extends Transform {
  bytes = 0;

  constructor(
    private readonly limit: SizeLimit | null,
    private readonly quota: QuotaReservation | null,
  ) {
    super({ highWaterMark: 512 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.limit && this.bytes > this.limit.bytes) {
      callback(ERRORS.fileTooLarge(this.limit.bytes, this.limit.fromBucket));
      return;
    }
    const growing = this.quota?.cover(this.bytes);
    if (growing) growing.then(() => callback(null, chunk), callback);
    else callback(null, chunk);
  }
}

/**
 * Feeds a raw request body into `meter`. A client that disconnects mid-body fails it, which aborts the transfer to
 * the storage service (whose temp file is then removed).
 */
export function feedRawBody(request: IncomingMessage, meter: UploadMeter): void {
  feed(request, meter, 'The client closed the connection before the body ended');
}

/** The raw request body as an upload: a meter fed from `request`. */
export function meteredBody(
  request: IncomingMessage,
  limit: SizeLimit | null = null,
  quota: QuotaReservation | null = null,
): UploadMeter {
  const meter = new UploadMeter(limit, quota);
  feedRawBody(request, meter);
  return meter;
}
