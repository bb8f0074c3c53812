import { currentUser } from '../../plugins/auth.ts';
import type { StorageRoute } from './context.ts';
import { FileIdParams } from './schemas.ts';

/** DELETE /storage/files/{file_id}: the uploader, the bucket's owner or an admin deletes the row and the bytes. */
const deleteFile: StorageRoute = (app, ctx) => {
  app.delete<{ Params: FileIdParams }>(
    '/storage/files/:file_id',
    {
      schema: {
        operationId: 'deleteFile',
        summary: 'Delete a file',
        tags: ['storage-files'],
        security: [{ HTTPBearer: [] }],
        params: FileIdParams,
        response: { 204: { type: 'null', description: 'Deleted' } },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleDeleteFile(request, reply) {
      await ctx.files.remove(currentUser(request), request.params.file_id);
      return reply.code(204).send();
    },
  );
};

export default deleteFile;
