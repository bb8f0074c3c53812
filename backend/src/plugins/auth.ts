import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../modules/auth/auth.service.ts';
import type { UserRow } from '../modules/users/users.repository.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, set by the `requireUser`/`optionalUser` hooks; null for anonymous requests. */
    user: UserRow | null;
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

export interface AuthHooks {
  /** Rejects the request (401) unless it carries a valid bearer token of an active user. */
  requireUser(request: FastifyRequest): Promise<void>;
  /** Sets `request.user` when a valid token is present; an invalid or expired one is treated as anonymous. */
  optionalUser(request: FastifyRequest): Promise<void>;
}

export function installAuth(app: FastifyInstance, auth: AuthService): AuthHooks {
  app.decorateRequest('user', null);
  return {
    async requireUser(request) {
      const token = bearerToken(request);
      if (!token) throw AppError.unauthorized('Not authenticated', ErrorCode.NOT_AUTHENTICATED);
      request.user = await auth.authenticate(token);
    },
    async optionalUser(request) {
      const token = bearerToken(request);
      if (!token) return;
      try {
        request.user = await auth.authenticate(token);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
      }
    },
  };
}

/** The signed-in user of a route guarded by `requireUser`. */
export function currentUser(request: FastifyRequest): UserRow {
  if (!request.user) throw AppError.unauthorized('Not authenticated', ErrorCode.NOT_AUTHENTICATED);
  return request.user;
}
