import { Type } from 'typebox';
import { SearchQuery } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type StorageRoute } from './context.ts';

/** GET /storage/buckets/count: buckets the caller can see (public ones, plus their own; admins: all). */
const countBuckets: StorageRoute = (app, ctx) => {
  app.get<{ Querystring: SearchQuery }>(
    '/storage/buckets/count',
    {
      schema: {
        operationId: 'getBucketCount',
        summary: 'Count buckets',
        tags: ['storage-buckets'],
        security: OPTIONAL_BEARER,
        querystring: SearchQuery,
        response: { 200: Type.Integer() },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleGetBucketCount(request) {
      return ctx.buckets.count(request.user, request.query.search);
    },
  );
};

export default countBuckets;
