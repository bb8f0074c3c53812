import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { StorageRoute } from './context.ts';
import { BucketCreate, BucketResponse } from './schemas.ts';

/** POST /storage/buckets/: a signed-in user creates a bucket they own. Taken name → 409; storage down → 503. */
const createBucket: StorageRoute = (app, ctx) => {
  app.post<{ Body: BucketCreate }>(
    '/storage/buckets/',
    {
      schema: {
        operationId: 'createBucket',
        summary: 'Create a bucket',
        tags: ['storage-buckets'],
        security: [{ HTTPBearer: [] }],
        body: ref(BucketCreate),
        response: { 201: ref(BucketResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleCreateBucket(request, reply) {
      return reply.code(201).send(await ctx.buckets.create(currentUser(request), request.body));
    },
  );
};

export default createBucket;
