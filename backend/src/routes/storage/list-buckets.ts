import { Type } from 'typebox';
import { ref } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type StorageRoute } from './context.ts';
import { BucketResponse, ListBucketsQuery } from './schemas.ts';

/** GET /storage/buckets/: a page of the buckets the caller can see, bare array as SelfDB 0.0.5. */
const listBuckets: StorageRoute = (app, ctx) => {
  app.get<{ Querystring: ListBucketsQuery }>(
    '/storage/buckets/',
    {
      schema: {
        operationId: 'listBuckets',
        summary: 'List buckets',
        tags: ['storage-buckets'],
        security: OPTIONAL_BEARER,
        querystring: ListBucketsQuery,
        response: { 200: Type.Array(ref(BucketResponse)) },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleListBuckets(request) {
      // Ajv fills the defaults; the fallbacks only satisfy the types.
      const { skip = 0, limit = 100, search, sort_by = 'created_at', sort_order = 'desc' } = request.query;
      return ctx.buckets.list(request.user, { skip, limit, search, sortBy: sort_by, sortOrder: sort_order });
    },
  );
};

export default listBuckets;
