import { AppError, drainAfterResponse, ERRORS } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { NewUpload, ObjectStore } from '../backends/types.ts';
import { StoredObjectSchema } from './schemas.ts';

const IdParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,128}$' } },
  required: ['id'],
} as const;
const UploadState = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    bucket: { type: 'string' },
    path: { type: 'string' },
    length: { type: 'integer' },
    offset: { type: 'integer' },
    meta: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
    createdAt: { type: 'string' },
  },
  required: ['id', 'bucket', 'path', 'length', 'offset', 'meta', 'createdAt'],
} as const;
const NewUploadBody = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,128}$' },
    bucket: { type: 'string', maxLength: 63 },
    path: { type: 'string', maxLength: 1000 },
    length: { type: 'integer', minimum: 0 },
    meta: { type: 'object', additionalProperties: { type: ['string', 'null'] }, default: {} },
  },
  required: ['id', 'bucket', 'path', 'length'],
  additionalProperties: false,
} as const;
const CompleteBody = {
  type: 'object',
  properties: {
    // Where the file goes, when the caller chose another path since the upload was created. A taken path is a 409
    // FILE_EXISTS (the upload stays, to be completed at another path): the store never renames nor overwrites.
    path: { type: 'string', maxLength: 1000 },
  },
  additionalProperties: false,
} as const;

/**
 * Resumable uploads (the byte side of the backend's tus endpoint): create, append at an offset, read the state,
 * complete (verify, hash, link into the bucket), abandon.
 */
export async function uploadRoutes(app: FastifyInstance, { store }: { store: ObjectStore }) {
  app.post<{ Body: NewUpload }>(
    '/api/v1/uploads',
    { schema: { body: NewUploadBody, response: { 201: UploadState } } },
    async function createUpload(request, reply) {
      return reply.code(201).send(await store.createUpload(request.body));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/uploads/:id',
    { schema: { params: IdParams, response: { 200: UploadState } } },
    async function getUpload(request) {
      const upload = await store.getUpload(request.params.id);
      if (!upload) throw ERRORS.uploadNotFound();
      return upload;
    },
  );

  app.post<{ Params: { id: string }; Body: { path?: string } | undefined }>(
    '/api/v1/uploads/:id/complete',
    { schema: { params: IdParams, body: CompleteBody, response: { 201: StoredObjectSchema } } },
    async function completeUpload(request, reply) {
      const { path } = request.body ?? {};
      return reply.code(201).send(await store.completeUpload(request.params.id, path));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/uploads/:id',
    { schema: { params: IdParams } },
    async function deleteUpload(request, reply) {
      await store.deleteUpload(request.params.id);
      return reply.code(204).send();
    },
  );

  await app.register(async (bytes) => {
    bytes.removeAllContentTypeParsers();
    bytes.addContentTypeParser('*', (_request, _payload, done) => done(null));
    bytes.patch<{ Params: { id: string } }>(
      '/api/v1/uploads/:id',
      { schema: { params: IdParams, response: { 200: UploadState } } },
      async function appendUpload(request, reply) {
        const offset = Number(request.headers['upload-offset']);
        if (!Number.isSafeInteger(offset) || offset < 0)
          throw AppError.badRequest('Invalid Upload-Offset header');
        try {
          return await store.appendUpload(request.params.id, offset, request.raw);
        } catch (err) {
          drainAfterResponse(request.raw, reply.raw);
          throw err;
        }
      },
    );
  });
}
