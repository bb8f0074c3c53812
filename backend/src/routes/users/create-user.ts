import { AppError, ErrorCode, isAdmin } from '@selfdb/common';
import type { FastifyRequest } from 'fastify';
import { ref } from '../../schemas/common.ts';
import { OPTIONAL_BEARER } from '../context.ts';
import type { UsersRouteModule } from './context.ts';
import { UserCreate, UserRead } from './schemas.ts';

/**
 * POST /users/: self-registration with the API key; the new user is always a USER. Taken email → 409. Anonymous
 * sign-up (no admin token) is refused when ALLOW_SIGNUP=false and rate limited per client address; an admin's
 * token skips both (admins create users).
 */
const createUser: UsersRouteModule = (app, ctx) => {
  const guardSignup = async (request: FastifyRequest) => {
    await ctx.auth.optionalUser(request);
    if (request.user && isAdmin(request.user)) return;
    if (!ctx.config.allowSignup) {
      throw new AppError(
        403,
        ErrorCode.SIGNUP_DISABLED,
        'Sign-up is disabled: ask an admin to create your account',
      );
    }
    const wait = ctx.limiters.signupPerAddress.hit(request.ip);
    if (wait > 0) {
      throw new AppError(429, ErrorCode.RATE_LIMITED, `Too many sign-ups: retry in ${wait} s`, {
        'retry-after': String(wait),
      });
    }
  };
  app.post<{ Body: UserCreate }>(
    '/users/',
    {
      schema: {
        operationId: 'createUser',
        summary: 'Register a user',
        description:
          'Anyone with the API key may sign up, unless `ALLOW_SIGNUP=false` (403 `SIGNUP_DISABLED`); sign-ups are limited per client address (429 `RATE_LIMITED`, `RATE_LIMIT_SIGNUP_PER_ADDRESS`). With an admin’s token neither applies.',
        tags: ['users'],
        security: OPTIONAL_BEARER,
        body: ref(UserCreate),
        response: { 201: ref(UserRead) },
      },
      preHandler: guardSignup,
    },
    async function handleCreateUser(request, reply) {
      return reply.code(201).send(await ctx.users.register(request.body));
    },
  );
};

export default createUser;
