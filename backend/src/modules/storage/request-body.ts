import type { IncomingMessage } from 'node:http';
import { type ByteLimit, ByteMeter, ERRORS, feed } from '@selfdb/common';
import type { QuotaReservation } from './quota.service.ts';

/** The largest file an upload may be, and whose rule that is (for the message): decided by the uploads service. */
export interface SizeLimit {
  bytes: number;
  /** true: the bucket's file_size_limit; false: the server's STORAGE_MAX_FILE_SIZE_MB. */
  fromBucket: boolean;
}

/** A size limit as the shared byte meter and assertWithinLimit (@selfdb/common) enforce it. */
export function byteLimit(limit: SizeLimit | null): ByteLimit | null {
  return limit && { bytes: limit.bytes, tooLarge: () => ERRORS.fileTooLarge(limit.bytes, limit.fromBucket) };
}

/**
 * An upload's bytes on their way to the storage service (the shared ByteMeter of @selfdb/common): counted, failed
 * with 413 as soon as they pass the size limit, and (with a quota) let through only once the user's quota
 * reservation covers them.
 */
export function uploadMeter(limit: SizeLimit | null, quota: QuotaReservation | null): ByteMeter {
  return new ByteMeter({
    limit: byteLimit(limit),
    gate: quota ? (_chunkBytes, totalBytes) => quota.cover(totalBytes) : undefined,
    highWaterMark: 512 * 1024,
  });
}

/**
 * Feeds a raw request body into `meter`. A client that disconnects mid-body fails it, which aborts the transfer to
 * the storage service (whose temp file is then removed).
 */
export function feedRawBody(request: IncomingMessage, meter: ByteMeter): void {
  feed(request, meter, 'The client closed the connection before the body ended');
}

/** The raw request body as an upload: a meter fed from `request`. */
export function meteredBody(
  request: IncomingMessage,
  limit: SizeLimit | null = null,
  quota: QuotaReservation | null = null,
): ByteMeter {
  const meter = uploadMeter(limit, quota);
  feedRawBody(request, meter);
  return meter;
}
