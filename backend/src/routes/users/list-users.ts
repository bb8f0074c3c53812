import { Type } from 'typebox';
import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';
import { ListUsersQuery, UserRead } from './schemas.ts';

/** GET /users/: a page of users, bare array as SelfDB 0.0.5 (admins only). */
const listUsers: UsersRouteModule = (app, ctx) => {
  app.get<{ Querystring: ListUsersQuery }>(
    '/users/',
    {
      schema: {
        operationId: 'readUsers',
        summary: 'List users',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        querystring: ListUsersQuery,
        response: { 200: Type.Array(ref(UserRead)) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleReadUsers(request) {
      // Ajv fills the defaults; the fallbacks only satisfy the types.
      const { skip = 0, limit = 100, search, sort_by = 'created_at', sort_order = 'desc' } = request.query;
      return ctx.users.list(currentUser(request), {
        skip,
        limit,
        search,
        sortBy: sort_by,
        sortOrder: sort_order,
      });
    },
  );
};

export default listUsers;
