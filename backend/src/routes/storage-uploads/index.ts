import { drainAfterResponse } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { StorageUploadsContext } from './context.ts';
import resumableUpload from './resumable-upload.ts';

/**
 * `/storage/uploads`: tus 1.0 resumable uploads (hidden from the OpenAPI document). The body is the file's bytes
 * whatever its Content-Type: it reaches the tus server unread, as a stream, on its way to the storage service.
 */
export async function storageUploadsRoutes(app: FastifyInstance, ctx: StorageUploadsContext) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  // An error answered before the body was read: the rest is dropped after the response (see drainAfterResponse).
  app.addHook('onError', async (request, reply) => drainAfterResponse(request.raw, reply.raw));
  resumableUpload(app, ctx);
}
