import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { RouteModule } from '../context.ts';
import { LogoutResponse } from './schemas.ts';

/** POST /users/logout/all: revokes every refresh token of the caller (all devices). */
const logoutAll: RouteModule = (app, ctx) => {
  app.post(
    '/logout/all',
    {
      schema: {
        operationId: 'logoutAllDevices',
        summary: 'Log out of all devices',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        response: { 200: ref(LogoutResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async (request) => {
      await ctx.authService.logoutAll(currentUser(request).id);
      return { status: 'logged_out' };
    },
  );
};

export default logoutAll;
