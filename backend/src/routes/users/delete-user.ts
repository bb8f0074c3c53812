import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';
import { UserDeleteResponse, UserIdParams } from './schemas.ts';

/** DELETE /users/{user_id}: admins only; the last active admin cannot be deleted. */
const deleteUser: UsersRouteModule = (app, ctx) => {
  app.delete<{ Params: UserIdParams }>(
    '/users/:user_id',
    {
      schema: {
        operationId: 'deleteUser',
        summary: 'Delete a user',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        params: UserIdParams,
        response: { 200: ref(UserDeleteResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleDeleteUser(request) {
      return ctx.users.remove(currentUser(request), request.params.user_id);
    },
  );
};

export default deleteUser;
