import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { BackupsRouteModule } from './context.ts';
import { BackupDeleteResult, FilenameParams } from './schemas.ts';

/** DELETE /backups/{filename}: removes one archive (admins only); 404 BACKUP_NOT_FOUND for any other name. */
const deleteBackup: BackupsRouteModule = (app, ctx) => {
  app.delete<{ Params: FilenameParams }>(
    '/backups/:filename',
    {
      schema: {
        operationId: 'deleteBackupFile',
        summary: 'Delete a backup',
        tags: ['backups'],
        security: [{ HTTPBearer: [] }],
        params: FilenameParams,
        response: { 200: ref(BackupDeleteResult) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleDeleteBackupFile(request) {
      return ctx.backups.remove(currentUser(request), request.params.filename);
    },
  );
};

export default deleteBackup;
