import { AppError, ErrorCode } from '@selfdb/common';
import { ref } from '../../schemas/common.ts';
import type { UsersRouteModule } from './context.ts';
import { RefreshRequest, TokenPair } from './schemas.ts';

/** POST /users/token/refresh: rotates a refresh token; a reused one revokes every session of its user. */
const refreshToken: UsersRouteModule = (app, ctx) => {
  app.post<{ Body: RefreshRequest }>(
    '/users/token/refresh',
    {
      schema: {
        operationId: 'refreshAccessToken',
        summary: 'Exchange a refresh token for a new token pair',
        tags: ['users'],
        body: ref(RefreshRequest),
        response: { 200: ref(TokenPair) },
      },
      preHandler: async function limitRefreshAttempts(request) {
        const wait = ctx.limiters.refreshPerAddress.hit(request.ip);
        if (wait > 0) {
          throw new AppError(429, ErrorCode.RATE_LIMITED, `Too many refresh attempts: retry in ${wait} s`, {
            'retry-after': String(wait),
          });
        }
      },
    },
    async function handleRefreshAccessToken(request) {
      return ctx.authService.refresh(request.body.refresh_token);
    },
  );
};

export default refreshToken;
