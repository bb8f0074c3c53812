import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../modules/auth/auth.service.ts';
import type { UserRow } from '../modules/users/users.repository.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, set by the `requireUser`/`optionalUser` hooks; null for anonymous requests. */
    user: UserRow | null;
    /** The session of the access token the user signed in with (null for anonymous requests). */
    sessionId: string | null;
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

export interface AuthHooks {
  /** Rejects the request (401) unless it carries a valid bearer token of an active user in an open session. */
  requireUser(request: FastifyRequest): Promise<void>;
  /** Sets `request.user` when a valid token is present; an invalid or expired one is treated as anonymous. */
  optionalUser(request: FastifyRequest): Promise<void>;
}

export function installAuth(app: FastifyInstance, auth: AuthService): AuthHooks {
  app.decorateRequest('user', null);
  app.decorateRequest('sessionId', null);
  return {
    async requireUser(request) {
      const token = bearerToken(request);
      if (!token) throw AppError.unauthorized('Not authenticated', ErrorCode.NOT_AUTHENTICATED);
      const { user, sessionId } = await auth.authenticate(token);
      request.user = user;
      request.sessionId = sessionId;
    },
    async optionalUser(request) {
      const token = bearerToken(request);
      if (!token) return;
      try {
        const { user, sessionId } = await auth.authenticate(token);
        request.user = user;
        request.sessionId = sessionId;
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

/** The session of the signed-in user's access token, on a route guarded by `requireUser`. */
export function currentSession(request: FastifyRequest): string {
  if (!request.sessionId) throw AppError.unauthorized('Not authenticated', ErrorCode.NOT_AUTHENTICATED);
  return request.sessionId;
}
