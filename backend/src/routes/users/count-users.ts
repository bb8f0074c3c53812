import { Type } from 'typebox';
import { currentUser } from '../../plugins/auth.ts';
import { SearchQuery } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';

/** GET /users/count: number of users matching `search` (admins only). */
const countUsers: UsersRouteModule = (app, ctx) => {
  app.get<{ Querystring: SearchQuery }>(
    '/users/count',
    {
      schema: {
        operationId: 'getUserCount',
        summary: 'Count users',
        tags: ['users'],
        security: [{ HTTPBearer: [] }],
        querystring: SearchQuery,
        response: { 200: Type.Integer() },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleGetUserCount(request) {
      return ctx.users.count(currentUser(request), request.query.search);
    },
  );
};

export default countUsers;
