import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { StorageRoute } from './context.ts';
import { BucketIdParams, BucketResponse, BucketUpdate } from './schemas.ts';

/** PATCH /storage/buckets/{bucket_id}: its owner or an admin changes visibility, description, metadata, limits. */
const updateBucket: StorageRoute = (app, ctx) => {
  app.patch<{ Params: BucketIdParams; Body: BucketUpdate }>(
    '/storage/buckets/:bucket_id',
    {
      schema: {
        operationId: 'updateBucket',
        summary: 'Update a bucket',
        tags: ['storage-buckets'],
        security: [{ HTTPBearer: [] }],
        params: BucketIdParams,
        body: ref(BucketUpdate),
        response: { 200: ref(BucketResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleUpdateBucket(request) {
      return ctx.buckets.update(currentUser(request), request.params.bucket_id, request.body);
    },
  );
};

export default updateBucket;
