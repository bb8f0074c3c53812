import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { BackupsRouteModule } from './context.ts';
import { BackupVerifyResult, FilenameParams } from './schemas.ts';

/**
 * POST /backups/{filename}/verify (not in SelfDB 0.0.5): restores the archive into a throwaway database and folder,
 * compares rows and files with its manifest and answers the report; live data is untouched (admins only). It runs
 * as the only backup, restore or verification (409 BACKUP_IN_PROGRESS otherwise); GET /backups/progress follows it.
 * A damaged archive is a report with `ok: false` and its problems, not an error.
 */
const verifyBackup: BackupsRouteModule = (app, ctx) => {
  app.post<{ Params: FilenameParams }>(
    '/backups/:filename/verify',
    {
      schema: {
        operationId: 'verifyBackupFile',
        summary: 'Verify a backup',
        tags: ['backups'],
        security: [{ HTTPBearer: [] }],
        params: FilenameParams,
        response: { 200: ref(BackupVerifyResult) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleVerifyBackupFile(request) {
      const report = await ctx.backups.verifyFile(currentUser(request), request.params.filename);
      return {
        ok: report.ok,
        has_manifest: report.hasManifest,
        members: report.members,
        storage_files: report.storageFiles,
        tables: report.tables,
        migrations_applied: report.migrationsApplied,
        problems: report.problems,
        duration_ms: report.durationMs,
      };
    },
  );
};

export default verifyBackup;
