import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** How long a request body that will not be used is still read after the error response, at most. */
const LINGER_MS = 10_000;

/**
 * For an error answered before the request body was read: once the response is sent, reads and drops the rest of
 * the body (for `LINGER_MS` at most, then closes the connection) instead of closing at once. Closing a socket with
 * unread bytes in it makes the peer's TCP stack reset the connection, which can destroy the response before the
 * client reads it: an upload refused with 413 or 507 would look like a network failure. Clients that notice the
 * early answer (curl, undici, browsers) stop sending at once, so little is ever read.
 */
export function drainAfterResponse(request: IncomingMessage, response: ServerResponse): void {
  if (request.readableEnded) return;
  response.once('finish', () => {
    if (request.readableEnded || request.destroyed) return;
    // Destroying an unfinished request closes its connection.
    const timer = setTimeout(() => request.destroy(), LINGER_MS);
    timer.unref();
    const stop = () => clearTimeout(timer);
    request.once('end', stop);
    request.once('close', stop);
    request.unpipe();
    request.resume();
  });
}
