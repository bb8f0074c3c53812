import { Type } from 'typebox';
import { OPTIONAL_BEARER, type StorageRoute } from './context.ts';
import { FileCountQuery } from './schemas.ts';

/** GET /storage/files/count?bucket_id=: files of one bucket the caller can see. */
const countFiles: StorageRoute = (app, ctx) => {
  app.get<{ Querystring: FileCountQuery }>(
    '/storage/files/count',
    {
      schema: {
        operationId: 'getFileCount',
        summary: 'Count files in a bucket',
        tags: ['storage-files'],
        security: OPTIONAL_BEARER,
        querystring: FileCountQuery,
        response: { 200: Type.Integer() },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleGetFileCount(request) {
      return ctx.files.count(request.user, request.query.bucket_id, request.query.search);
    },
  );
};

export default countFiles;
