import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';
import { LogoutResponse } from './schemas.ts';

/** POST /users/logout/all: ends every session of the caller (all devices): every token of theirs is refused. */
const logoutAll: UsersRouteModule = (app, ctx) => {
  app.post(
    '/users/logout/all',
    {
      schema: {
        operationId: 'logoutAllDevices',
        summary: 'Log out of all devices',
        description:
          'Ends every session of the caller: all refresh tokens are revoked and all access tokens are refused from now on, including the one of this request.',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        response: { 200: ref(LogoutResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleLogoutAllDevices(request) {
      await ctx.authService.logoutAll(currentUser(request).id);
      return { status: 'logged_out' };
    },
  );
};

export default logoutAll;
