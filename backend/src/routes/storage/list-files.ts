import { ref } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type StorageRoute } from './context.ts';
import { FileDataResponse, ListFilesQuery } from './schemas.ts';

/** GET /storage/files/?bucket_id=: a page of a bucket's files with the total, as SelfDB 0.0.5. */
const listFiles: StorageRoute = (app, ctx) => {
  app.get<{ Querystring: ListFilesQuery }>(
    '/storage/files/',
    {
      schema: {
        operationId: 'listFiles',
        summary: 'List files of a bucket',
        tags: ['storage-files'],
        security: OPTIONAL_BEARER,
        querystring: ListFilesQuery,
        response: { 200: ref(FileDataResponse) },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleListFiles(request) {
      // Ajv fills the defaults; the fallbacks only satisfy the types.
      const {
        bucket_id,
        page = 1,
        page_size = 100,
        search,
        sort_by = 'created_at',
        sort_order = 'desc',
      } = request.query;
      return ctx.files.list(request.user, bucket_id, {
        page,
        pageSize: page_size,
        search,
        sortBy: sort_by,
        sortOrder: sort_order,
      });
    },
  );
};

export default listFiles;
