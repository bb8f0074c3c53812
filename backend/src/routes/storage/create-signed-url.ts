import { type Static, Type } from 'typebox';
import { currentUser } from '../../plugins/auth.ts';
import { optionalBody } from '../../plugins/openapi.ts';
import { ref } from '../../schemas/common.ts';
import type { StorageRoute } from './context.ts';
import { FileIdParams, SignedUrlResponse } from './schemas.ts';

/**
 * POST /storage/files/{file_id}/signed-url: a time-limited URL to the file that works without a token or API key
 * (for `<img src>`, sharing, CLIs). For any signed-in user who may read the file now.
 */
const createSignedUrl: StorageRoute = (app, ctx) => {
  const SignedUrlRequest = Type.Object(
    {
      expires_in: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: ctx.config.storage.signedUrlMaxSeconds,
          default: 3600,
          description: 'Seconds the URL stays valid',
        }),
      ),
    },
    { additionalProperties: false, title: 'SignedUrlRequest' },
  );
  app.post<{ Params: FileIdParams; Body: Static<typeof SignedUrlRequest> | undefined }>(
    '/storage/files/:file_id/signed-url',
    {
      schema: {
        operationId: 'createSignedUrl',
        summary: 'Create a signed download URL',
        tags: ['storage-files'],
        security: [{ HTTPBearer: [] }],
        params: FileIdParams,
        body: SignedUrlRequest,
        ...optionalBody,
        response: { 200: ref(SignedUrlResponse) },
      },
      preValidation: async function defaultEmptyBody(request) {
        request.body ??= {};
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleCreateSignedUrl(request) {
      return ctx.downloads.createSignedUrl(
        currentUser(request),
        request.params.file_id,
        request.body?.expires_in ?? 3600,
      );
    },
  );
};

export default createSignedUrl;
