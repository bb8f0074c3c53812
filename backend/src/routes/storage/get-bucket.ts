import { ref } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type StorageRoute } from './context.ts';
import { BucketIdParams, BucketResponse } from './schemas.ts';

/** GET /storage/buckets/{bucket_id}: a bucket the caller can see; a private bucket of someone else is a 404. */
const getBucket: StorageRoute = (app, ctx) => {
  app.get<{ Params: BucketIdParams }>(
    '/storage/buckets/:bucket_id',
    {
      schema: {
        operationId: 'getBucket',
        summary: 'Get a bucket',
        tags: ['storage-buckets'],
        security: OPTIONAL_BEARER,
        params: BucketIdParams,
        response: { 200: ref(BucketResponse) },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleGetBucket(request) {
      return ctx.buckets.get(request.user, request.params.bucket_id);
    },
  );
};

export default getBucket;
