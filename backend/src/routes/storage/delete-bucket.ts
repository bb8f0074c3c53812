import { currentUser } from '../../plugins/auth.ts';
import type { StorageRoute } from './context.ts';
import { BucketIdParams } from './schemas.ts';

/** DELETE /storage/buckets/{bucket_id}: its owner or an admin deletes it with every file (rows and bytes). */
const deleteBucket: StorageRoute = (app, ctx) => {
  app.delete<{ Params: BucketIdParams }>(
    '/storage/buckets/:bucket_id',
    {
      schema: {
        operationId: 'deleteBucket',
        summary: 'Delete a bucket and its files',
        tags: ['storage-buckets'],
        security: [{ HTTPBearer: [] }],
        params: BucketIdParams,
        response: { 204: { type: 'null', description: 'Deleted' } },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleDeleteBucket(request, reply) {
      await ctx.buckets.remove(currentUser(request), request.params.bucket_id);
      return reply.code(204).send();
    },
  );
};

export default deleteBucket;
