import { drainAfterResponse } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import countBuckets from './count-buckets.ts';
import countFiles from './count-files.ts';
import createBucket from './create-bucket.ts';
import createSignedUrl from './create-signed-url.ts';
import type { StorageContext, StorageRoute } from './context.ts';
import deleteBucket from './delete-bucket.ts';
import deleteFile from './delete-file.ts';
import downloadFile from './download-file.ts';
import downloadSignedFile from './download-signed-file.ts';
import getBucket from './get-bucket.ts';
import getFile from './get-file.ts';
import getStorageStats from './get-storage-stats.ts';
import getTotalFileCount from './get-total-file-count.ts';
import listBuckets from './list-buckets.ts';
import listFiles from './list-files.ts';
import { STORAGE_ROUTE_ERRORS } from './schemas.ts';
import updateBucket from './update-bucket.ts';
import updateFile from './update-file.ts';
import uploadFile from './upload-file.ts';

/**
 * `/storage`: the 15 bucket and file operations of SelfDB 0.0.5 (in its document's order), plus signed URLs (tus
 * resumable uploads are their own area, routes/storage-uploads/). Bytes flow between the client and the storage service without being buffered here.
 */
export async function storageRoutes(app: FastifyInstance, ctx: StorageContext) {
  app.addHook('onRoute', (route) => {
    if (!route.schema || route.schema.hide) return;
    route.schema.response = { ...STORAGE_ROUTE_ERRORS, ...(route.schema.response as object) };
  });
  const register = (scope: FastifyInstance, routes: StorageRoute[]) => {
    for (const route of routes) route(scope, ctx);
  };

  register(app, [countBuckets, createBucket, listBuckets, getBucket, updateBucket, deleteBucket]);
  register(app, [getStorageStats, getTotalFileCount, countFiles, listFiles, getFile, deleteFile, updateFile]);
  // Routes whose body is a file: whatever its Content-Type, it reaches the handler unread, as a stream.
  await app.register(async (bytes) => {
    bytes.removeAllContentTypeParsers();
    bytes.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // An error answered before the body was read: the rest is dropped after the response (see drainAfterResponse).
    bytes.addHook('onError', async (request, reply) => drainAfterResponse(request.raw, reply.raw));
    register(bytes, [uploadFile]);
  });
  register(app, [downloadFile, createSignedUrl, downloadSignedFile]);
}
