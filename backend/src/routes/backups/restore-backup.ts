import { AppError } from '@selfdb/common';
import { ref } from '../../schemas/common.ts';
import type { BackupsRouteModule } from './context.ts';
import { RestoreBody, RestoreResult } from './schemas.ts';

const missingFile = () =>
  Object.assign(new Error('Field required'), {
    validation: [{ keyword: 'required', instancePath: '', params: { missingProperty: 'file' }, message: '' }],
    validationContext: 'body',
  });

/**
 * POST /backups/restore: multipart field `file` (a .tar.gz), streamed to disk and restored. API key only, and
 * only while the install is not initialized (nobody has logged in): 403 RESTORE_NOT_ALLOWED otherwise (the
 * service checks before the upload is read). A missing file field is 422 first, as upstream's FastAPI answers.
 */
const restoreBackup: BackupsRouteModule = (app, ctx) => {
  app.post(
    '/restore',
    {
      schema: {
        operationId: 'restoreFromBackupFile',
        summary: 'Restore from a backup (fresh installs only)',
        tags: ['backups'],
        consumes: ['multipart/form-data'],
        body: ref(RestoreBody),
        response: { 200: ref(RestoreResult) },
      },
      // The body is a stream read by the handler; there is nothing to validate up front.
      validatorCompiler: () => () => true,
    },
    async (request) => {
      if (!request.isMultipart()) throw missingFile();
      let part;
      try {
        part = await request.file({ limits: { fileSize: ctx.config.backups.uploadMaxBytes, files: 1 } });
      } catch (err) {
        throw AppError.badRequest(`Malformed multipart body: ${(err as Error).message}`);
      }
      if (!part || part.fieldname !== 'file') throw missingFile();
      const file = part.file;
      return ctx.backups.restoreUpload(file, () => file.truncated);
    },
  );
};

export default restoreBackup;
