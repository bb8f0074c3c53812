import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { RouteModule } from '../context.ts';
import { UserIdParams, UserRead, UserUpdate } from './schemas.ts';

/** PATCH /users/{user_id}: users edit their own profile and password; admins anyone, including role/isActive. */
const updateUser: RouteModule = (app, ctx) => {
  app.patch<{ Params: UserIdParams; Body: UserUpdate }>(
    '/:user_id',
    {
      schema: {
        operationId: 'updateUser',
        summary: 'Update a user',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        params: UserIdParams,
        body: ref(UserUpdate),
        response: { 200: ref(UserRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async (request) => {
      const body = request.body;
      return ctx.users.update(currentUser(request), request.params.user_id, {
        email: body.email,
        password: body.password,
        role: body.role,
        isActive: body.isActive ?? body.is_active,
        firstName: body.firstName ?? body.first_name,
        lastName: body.lastName ?? body.last_name,
      });
    },
  );
};

export default updateUser;
