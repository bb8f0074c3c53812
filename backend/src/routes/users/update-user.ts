import { AppError, ErrorCode } from '@selfdb/common';
import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';
import { UserIdParams, UserRead, UserUpdate } from './schemas.ts';

/**
 * PATCH /users/{user_id}: users edit their own profile, and their password with the current one; admins anyone,
 * including role/isActive. A new password, role or deactivation ends every session of the user.
 */
const updateUser: UsersRouteModule = (app, ctx) => {
  app.patch<{ Params: UserIdParams; Body: UserUpdate }>(
    '/users/:user_id',
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
    async function handleUpdateUser(request) {
      const body = request.body;
      const user = currentUser(request);
      if (body.password && user.id === request.params.user_id) {
        // Checking the current password is a login attempt: the same per-address-and-account limit applies.
        const wait = ctx.limiters.loginPerAccount.hit(`${request.ip}\n${user.email.toLowerCase()}`);
        if (wait > 0) {
          throw new AppError(429, ErrorCode.RATE_LIMITED, `Too many password attempts: retry in ${wait} s`, {
            'retry-after': String(wait),
          });
        }
      }
      return ctx.users.update(user, request.params.user_id, {
        email: body.email,
        password: body.password,
        currentPassword: body.current_password ?? body.currentPassword,
        role: body.role,
        isActive: body.isActive ?? body.is_active,
        firstName: body.firstName ?? body.first_name,
        lastName: body.lastName ?? body.last_name,
      });
    },
  );
};

export default updateUser;
