import { ref } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type StorageRoute } from './context.ts';
import { FileIdParams, FileResponse } from './schemas.ts';

/** GET /storage/files/{file_id}: a file's metadata, when the caller can see its bucket. */
const getFile: StorageRoute = (app, ctx) => {
  app.get<{ Params: FileIdParams }>(
    '/storage/files/:file_id',
    {
      schema: {
        operationId: 'getFileMetadata',
        summary: 'Get a file',
        tags: ['storage-files'],
        security: OPTIONAL_BEARER,
        params: FileIdParams,
        response: { 200: ref(FileResponse) },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleGetFileMetadata(request) {
      return ctx.files.get(request.user, request.params.file_id);
    },
  );
};

export default getFile;
