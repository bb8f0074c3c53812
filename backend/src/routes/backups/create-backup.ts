import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { BackupsRouteModule } from './context.ts';
import { BackupResult } from './schemas.ts';

/**
 * POST /backups: writes an archive now and answers when it is complete (admins only). While another backup or
 * restore runs, anywhere, it answers 409 BACKUP_IN_PROGRESS at once; GET /backups/progress follows a long one.
 */
const createBackup: BackupsRouteModule = (app, ctx) => {
  app.post(
    '/backups',
    {
      schema: {
        operationId: 'createNewBackup',
        summary: 'Create a backup',
        tags: ['backups'],
        security: [{ HTTPBearer: [] }],
        response: { 200: ref(BackupResult) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleCreateNewBackup(request) {
      return ctx.backups.create(currentUser(request));
    },
  );
};

export default createBackup;
