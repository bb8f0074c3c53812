import { Type } from 'typebox';
import { SearchQuery } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type StorageRoute } from './context.ts';

/** GET /storage/files/total-count: files in every bucket the caller can see (`search`: name or path). */
const getTotalFileCount: StorageRoute = (app, ctx) => {
  app.get<{ Querystring: SearchQuery }>(
    '/storage/files/total-count',
    {
      schema: {
        operationId: 'getTotalFileCount',
        summary: 'Count files in all visible buckets',
        tags: ['storage-files'],
        security: OPTIONAL_BEARER,
        querystring: SearchQuery,
        response: { 200: Type.Integer() },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleGetTotalFileCount(request) {
      return ctx.files.totalCount(request.user, request.query.search);
    },
  );
};

export default getTotalFileCount;
