import { Type } from 'typebox';
import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { BackupsRouteModule } from './context.ts';
import { BackupInfo } from './schemas.ts';

/** GET /backups: every archive in the backups folder, newest first, named CLI backups included (admins only). */
const listBackups: BackupsRouteModule = (app, ctx) => {
  app.get(
    '/backups',
    {
      schema: {
        operationId: 'listAllBackups',
        summary: 'List backups',
        tags: ['backups'],
        security: [{ HTTPBearer: [] }],
        response: { 200: Type.Array(ref(BackupInfo)) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleListAllBackups(request) {
      return ctx.backups.list(currentUser(request));
    },
  );
};

export default listBackups;
