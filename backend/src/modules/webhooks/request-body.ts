import type { Readable } from 'node:stream';
import { AppError, ERRORS } from '@selfdb/common';

/**
 * Reads a request body into memory, refusing (413) as soon as it passes `maxBytes`; a declared Content-Length over
 * the limit is refused before anything is read. A client that goes away mid-body gets 400.
 */
export async function readLimitedBody(
  stream: Readable,
  maxBytes: number,
  declaredLength: string | undefined,
): Promise<Buffer> {
  if (declaredLength !== undefined && /^\d+$/.test(declaredLength) && Number(declaredLength) > maxBytes) {
    throw ERRORS.webhookBodyTooLarge(maxBytes);
  }
  // Events rather than `for await`: leaving an async iterator early destroys the request, and with it the socket the
  // 413 must still be written to (the error hook drains the rest after the response).
  if (stream.readableEnded) return Buffer.alloc(0);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onFailure);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        stream.pause();
        reject(ERRORS.webhookBodyTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onFailure = () => {
      stop();
      reject(AppError.badRequest('The body was cut short (the client disconnected)'));
    };
    const onClose = () => {
      if (!stream.readableEnded) onFailure();
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onFailure);
    stream.on('close', onClose);
  });
}
