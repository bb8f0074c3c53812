import { currentSession, currentUser } from '../../plugins/auth.ts';
import { optionalBody } from '../../plugins/openapi.ts';
import { ref } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';
import { LogoutRequest, LogoutResponse } from './schemas.ts';

/**
 * POST /users/logout: ends the session of the caller's access token (and of the given refresh token, when it is
 * another of theirs). Its access tokens are refused from then on; the caller's other sessions stay open.
 */
const logout: UsersRouteModule = (app, ctx) => {
  app.post<{ Body: LogoutRequest | undefined }>(
    '/users/logout',
    {
      schema: {
        operationId: 'logout',
        summary: 'Log out (end this session)',
        description:
          'Ends the session the access token belongs to: its refresh token is revoked and its access tokens are refused from now on. With `refresh_token`, the session of that token ends too (when it is one of yours). Other sessions stay open; `POST /users/logout/all` ends them all.',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        body: ref(LogoutRequest),
        ...optionalBody,
        response: { 200: ref(LogoutResponse) },
      },
      // The body is optional (SelfDB 0.0.5 clients send none): validate an absent one as `{}`.
      preValidation: async function defaultEmptyBody(request) {
        request.body ??= {};
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleLogout(request) {
      await ctx.authService.logout(
        currentUser(request).id,
        currentSession(request),
        request.body?.refresh_token,
      );
      return { status: 'logged_out' };
    },
  );
};

export default logout;
