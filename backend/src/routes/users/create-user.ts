import { ref } from '../../schemas/common.ts';
import type { RouteModule } from '../context.ts';
import { UserCreate, UserRead } from './schemas.ts';

/** POST /users/: self-registration with the API key; the new user is always a USER. Taken email → 409. */
const createUser: RouteModule = (app, ctx) => {
  app.post<{ Body: UserCreate }>(
    '/',
    {
      prefixTrailingSlash: 'slash',
      schema: {
        operationId: 'createUser',
        summary: 'Register a user',
        tags: ['users'],
        body: ref(UserCreate),
        response: { 201: ref(UserRead) },
      },
    },
    async (request, reply) => reply.code(201).send(await ctx.users.register(request.body)),
  );
};

export default createUser;
