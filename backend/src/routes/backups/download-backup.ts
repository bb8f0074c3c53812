import { currentUser } from '../../plugins/auth.ts';
import type { BackupsRouteModule } from './context.ts';
import { FilenameParams } from './schemas.ts';

/** GET /backups/{filename}/download: the archive, streamed from disk (admins only). */
const downloadBackup: BackupsRouteModule = (app, ctx) => {
  app.get<{ Params: FilenameParams }>(
    '/backups/:filename/download',
    {
      schema: {
        operationId: 'downloadBackup',
        summary: 'Download a backup',
        tags: ['backups'],
        security: [{ HTTPBearer: [] }],
        params: FilenameParams,
        response: {
          200: {
            description: 'Backup file download',
            content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
          },
        },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleDownloadBackup(request, reply) {
      const { filename } = request.params;
      const { stream, size } = await ctx.backups.openDownload(currentUser(request), filename);
      return reply
        .type('application/gzip')
        .header('content-length', size)
        .header('content-disposition', `attachment; filename="${filename}"`)
        .send(stream);
    },
  );
};

export default downloadBackup;
