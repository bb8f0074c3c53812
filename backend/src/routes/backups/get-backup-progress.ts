import { ref } from '../../schemas/common.ts';
import type { BackupsRouteModule } from './context.ts';
import { BackupProgress } from './schemas.ts';

/**
 * GET /backups/progress: what the running (or the last) backup, restore or verification of this process is doing.
 * Admins only, except while a restore runs: the login page of a fresh install starts it, with the API key alone.
 * It keeps answering while a restore makes every other route answer 503.
 */
const getBackupProgress: BackupsRouteModule = (app, ctx) => {
  app.get(
    '/progress',
    {
      schema: {
        operationId: 'getBackupProgress',
        summary: 'Progress of a running backup or restore',
        tags: ['backups'],
        security: [{ HTTPBearer: [] }],
        response: { 200: ref(BackupProgress) },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async (request) => ctx.backups.progressFor(request.user),
  );
};

export default getBackupProgress;
