import type { Readable, Writable } from 'node:stream';
import { AppError } from './errors.ts';

/**
 * Feeds `source` into `into`, like `source.pipe(into)`, and also fails `into` with 400 `cutShortDetail` when
 * `source` fails or closes before its end (a client that disconnects mid-upload). Unlike stream.pipeline, a
 * failure of `into` (a size limit, a full disk) never destroys `source`: destroying a request closes its socket
 * before the error response is written.
 */
export function feed(
  source: Readable,
  into: Writable,
  cutShortDetail = 'The body was cut short (the client disconnected)',
): void {
  // AppErrors, so the error handler does not log a client's disconnect as a server failure.
  const cutShort = () => AppError.badRequest(cutShortDetail);
  const onError = () => into.destroy(cutShort());
  const onClose = () => {
    if (!source.readableEnded) into.destroy(cutShort());
  };
  source.on('error', onError);
  source.on('close', onClose);
  into.on('close', () => {
    source.off('error', onError);
    source.off('close', onClose);
    source.unpipe(into);
  });
  source.pipe(into);
}
