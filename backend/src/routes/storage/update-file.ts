import { Type } from 'typebox';
import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { StorageRoute } from './context.ts';
import { FileIdParams, FileResponse } from './schemas.ts';

const Metadata = Type.Record(Type.String(), Type.Unknown(), { title: 'Metadata' });

/** PATCH /storage/files/{file_id}: the body replaces the file's metadata (uploader, bucket owner or admin). */
const updateFile: StorageRoute = (app, ctx) => {
  app.patch<{ Params: FileIdParams; Body: Record<string, unknown> }>(
    '/storage/files/:file_id',
    {
      schema: {
        operationId: 'updateFileMetadata',
        summary: "Replace a file's metadata",
        tags: ['storage-files'],
        security: [{ HTTPBearer: [] }],
        params: FileIdParams,
        body: Metadata,
        response: { 200: ref(FileResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleUpdateFileMetadata(request) {
      return ctx.files.updateMetadata(currentUser(request), request.params.file_id, request.body);
    },
  );
};

export default updateFile;
