import { AppError } from '@selfdb/common';
import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { StorageRoute } from './context.ts';
import { FileUploadResponse, STORAGE_ERRORS, UploadQuery } from './schemas.ts';

function declaredSize(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const size = Number(header);
  return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}

function announcedChecksum(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[0-9a-fA-F]{64}$/.test(header)) {
    throw AppError.badRequest('X-Content-SHA256 must be 64 hex digits');
  }
  return header.toLowerCase();
}

/**
 * POST /storage/files/upload?bucket_id=&filename=&path=&content_type=: SelfDB 0.0.5's raw-body upload. Any body
 * type is taken as the file's bytes and streamed to the storage service; a taken path becomes `name (1).ext`.
 * An optional `X-Content-SHA256` header makes the upload fail (400 CHECKSUM_MISMATCH) unless the bytes have that
 * checksum.
 */
const uploadFile: StorageRoute = (app, ctx) => {
  app.post<{ Querystring: UploadQuery }>(
    '/files/upload',
    {
      schema: {
        operationId: 'uploadFile',
        summary: 'Upload a file (raw body)',
        tags: ['storage-files'],
        security: [{ HTTPBearer: [] }],
        querystring: UploadQuery,
        response: { 201: ref(FileUploadResponse), 415: STORAGE_ERRORS[415] },
      },
      preHandler: ctx.auth.requireUser,
    },
    async (request, reply) => {
      const { bucket_id, filename, path, content_type = 'application/octet-stream' } = request.query;
      const result = await ctx.uploads.upload(
        currentUser(request),
        {
          bucketId: bucket_id,
          filename,
          path,
          contentType: content_type,
          declaredSize: declaredSize(request.headers['content-length']),
        },
        request.raw,
        announcedChecksum(request.headers['x-content-sha256']),
      );
      return reply.code(201).send(result);
    },
  );
};

export default uploadFile;
