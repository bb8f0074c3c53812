import { ref } from '../../schemas/common.ts';
import type { BackupsRouteModule } from './context.ts';
import { BackupProgress } from './schemas.ts';

/**
 * GET /backups/progress: what the running (or the last) backup, restore or verification of this process is doing.
 * Admins only, except while a restore runs: the login page of a fresh install starts it, with the API key alone.
 * It keeps answering while a restore makes every other route answer 503. Outside a restore it answers as every
 * admin route: no token 401 `NOT_AUTHENTICATED`, a bad one 401 `INVALID_TOKEN` (never anonymous), a user 403. During
 * a restore the token is not read: the database it would be checked against is being replaced.
 */
const getBackupProgress: BackupsRouteModule = (app, ctx) => {
  app.get(
    '/backups/progress',
    {
      schema: {
        operationId: 'getBackupProgress',
        summary: 'Progress of a running backup or restore',
        tags: ['backups'],
        security: [{ HTTPBearer: [] }],
        response: { 200: ref(BackupProgress) },
      },
    },
    async function getBackupProgressHandler(request) {
      if (!ctx.backups.restoreRunning()) await ctx.auth.requireUser(request);
      return ctx.backups.progressFor(request.user);
    },
  );
};

export default getBackupProgress;
