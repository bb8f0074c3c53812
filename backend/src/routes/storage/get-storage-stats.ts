import { ref, SearchQuery } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type StorageRoute } from './context.ts';
import { StorageStatsResponse } from './schemas.ts';

/** GET /storage/files/stats: files, bytes and buckets over the buckets the caller can see (`search`: buckets). */
const getStorageStats: StorageRoute = (app, ctx) => {
  app.get<{ Querystring: SearchQuery }>(
    '/storage/files/stats',
    {
      schema: {
        operationId: 'getStorageStats',
        summary: 'Storage statistics',
        tags: ['storage-files'],
        security: OPTIONAL_BEARER,
        querystring: SearchQuery,
        response: { 200: ref(StorageStatsResponse) },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleGetStorageStats(request) {
      return ctx.buckets.stats(request.user, request.query.search);
    },
  );
};

export default getStorageStats;
