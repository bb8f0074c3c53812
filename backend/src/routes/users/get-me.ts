import { toUserDto } from '../../modules/users/users.dto.ts';
import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';
import { UserRead } from './schemas.ts';

/** GET /users/me: the signed-in user's profile. */
const getMe: UsersRouteModule = (app, ctx) => {
  app.get(
    '/users/me',
    {
      schema: {
        operationId: 'readUsersMe',
        summary: 'Current user',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        response: { 200: ref(UserRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleReadUsersMe(request) {
      return toUserDto(currentUser(request));
    },
  );
};

export default getMe;
