import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyRequest } from 'fastify';
import { ref } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';
import { LoginRequest, TokenPair } from './schemas.ts';

/** POST /users/token: email + password (JSON) → access and refresh tokens. Rate-limited per address and account. */
const login: UsersRouteModule = (app, ctx) => {
  const limit = async (request: FastifyRequest<{ Body: LoginRequest }>) => {
    const email = request.body.email.toLowerCase();
    const wait = Math.max(
      ctx.limiters.loginPerAddress.hit(request.ip),
      ctx.limiters.loginPerAccount.hit(`${request.ip}\n${email}`),
    );
    if (wait > 0) {
      throw new AppError(429, ErrorCode.RATE_LIMITED, `Too many login attempts: retry in ${wait} s`, {
        'retry-after': String(wait),
      });
    }
  };
  app.post<{ Body: LoginRequest }>(
    '/users/token',
    {
      schema: {
        operationId: 'loginForAccessToken',
        summary: 'Log in with email and password',
        tags: ['users'],
        body: ref(LoginRequest),
        response: { 200: ref(TokenPair) },
      },
      preHandler: limit,
    },
    async function handleLoginForAccessToken(request) {
      return ctx.authService.login(request.body.email, request.body.password);
    },
  );
};

export default login;
