import { AppError } from '@selfdb/common';
import { ref } from '../../schemas/common.ts';
import type { BackupsRouteModule } from './context.ts';
import { RestoreBody, RestoreHeaders, RestoreResult } from './schemas.ts';

const missingFile = () =>
  Object.assign(new Error('Field required'), {
    validation: [{ keyword: 'required', instancePath: '', params: { missingProperty: 'file' }, message: '' }],
    validationContext: 'body',
  });

/**
 * POST /backups/restore: multipart field `file` (a .tar.gz), streamed to disk and restored. Only while the install
 * is not initialized (nobody has logged in): 403 RESTORE_NOT_ALLOWED otherwise; and only with an admin's bearer
 * token or the one-time restore token in `X-Restore-Token`: 401 RESTORE_TOKEN_REQUIRED / RESTORE_TOKEN_INVALID
 * otherwise (the service checks both before the upload is read). A missing file field is 422 first, as
 * upstream's FastAPI answers.
 */
const restoreBackup: BackupsRouteModule = (app, ctx) => {
  app.post(
    '/backups/restore',
    {
      schema: {
        operationId: 'restoreFromBackupFile',
        summary: 'Restore from a backup (fresh installs only)',
        description:
          'Replaces the database and storage with the archive. Only on a fresh install (before the first login), and ' +
          'only with the one-time restore token in the `X-Restore-Token` header (the backend makes it when it starts ' +
          'on a fresh install: `./selfdb.sh start` prints it and the backend log shows it; a successful restore uses ' +
          'it up) or with an admin\'s bearer token. The archive is checked whole before anything runs, and its SQL is ' +
          'loaded by a database role without privileges.',
        tags: ['backups'],
        security: [{ HTTPBearer: [] }],
        consumes: ['multipart/form-data'],
        headers: RestoreHeaders,
        body: ref(RestoreBody),
        response: { 200: ref(RestoreResult) },
      },
      // The body is a stream read by the handler; there is nothing to validate up front.
      validatorCompiler: () => () => true,
      preHandler: ctx.auth.optionalUser,
    },
    async function handleRestoreFromBackupFile(request) {
      const header = request.headers['x-restore-token'];
      const auth = {
        actor: request.user,
        restoreToken: (Array.isArray(header) ? header[0] : header) ?? null,
      };
      if (!request.isMultipart()) throw missingFile();
      let part;
      try {
        part = await request.file({ limits: { fileSize: ctx.config.backups.uploadMaxBytes, files: 1 } });
      } catch (err) {
        throw AppError.badRequest(`Malformed multipart body: ${(err as Error).message}`);
      }
      if (!part || part.fieldname !== 'file') throw missingFile();
      const file = part.file;
      return ctx.backups.restoreUpload(file, () => file.truncated, auth);
    },
  );
};

export default restoreBackup;
