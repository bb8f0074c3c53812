import { currentUser } from '../../plugins/auth.ts';
import { optionalBody } from '../../plugins/openapi.ts';
import { ref } from '../../schemas/common.ts';
import type { RouteModule } from '../context.ts';
import { LogoutRequest, LogoutResponse } from './schemas.ts';

/** POST /users/logout: revokes the given refresh token, or all of the caller's when none is given. */
const logout: RouteModule = (app, ctx) => {
  app.post<{ Body: LogoutRequest | undefined }>(
    '/logout',
    {
      schema: {
        operationId: 'logout',
        summary: 'Log out (revoke a refresh token)',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        body: ref(LogoutRequest),
        ...optionalBody,
        response: { 200: ref(LogoutResponse) },
      },
      // The body is optional (SelfDB 0.0.5 clients send none): validate an absent one as `{}`.
      preValidation: async (request) => {
        request.body ??= {};
      },
      preHandler: ctx.auth.requireUser,
    },
    async (request) => {
      await ctx.authService.logout(currentUser(request).id, request.body?.refresh_token);
      return { status: 'logged_out' };
    },
  );
};

export default logout;
