import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError, ErrorCode, feed } from '@selfdb/common';

export const fileTooLarge = (limit: number) =>
  new AppError(413, ErrorCode.FILE_TOO_LARGE, `File too large: this bucket takes files up to ${limit} bytes`);

/**
 * The upload body of `request`, counted, and failed with 413 as soon as it passes `maxBytes`. It is a stand-in,
 * not the request itself: the HTTP client that sends it on destroys it on any error, and destroying the request
 * would close the socket before the error response is written. A client that disconnects mid-body fails it too,
 * which aborts the transfer to the storage service (whose temp file is then removed).
 */
export function meteredBody(request: IncomingMessage, maxBytes?: number): Transform {
  let bytes = 0;
  const limit = maxBytes ?? Number.POSITIVE_INFINITY;
  const body = new Transform({
    highWaterMark: 512 * 1024,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      bytes += chunk.length;
      if (bytes > limit) callback(fileTooLarge(limit));
      else callback(null, chunk);
    },
  });
  feed(request, body, 'The client closed the connection before the body ended');
  return body;
}
