import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';
import { UserIdParams, UserRead } from './schemas.ts';

/** GET /users/{user_id}: a user's profile (yourself, or anyone for admins). */
const getUser: UsersRouteModule = (app, ctx) => {
  app.get<{ Params: UserIdParams }>(
    '/users/:user_id',
    {
      schema: {
        operationId: 'readUser',
        summary: 'Get a user',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        params: UserIdParams,
        response: { 200: ref(UserRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleReadUser(request) {
      return ctx.users.get(currentUser(request), request.params.user_id);
    },
  );
};

export default getUser;
