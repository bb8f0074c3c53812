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
  /**
   * For routes open to anonymous callers: no token is anonymous; a token, when sent, must be valid, exactly as on
   * `requireUser` routes (401 `INVALID_TOKEN` when forged, expired, of a deleted user or of an ended session, 400
   * `USER_INACTIVE` for a deactivated user). A bad token is never served as anonymous: the caller meant to be
   * someone, and would otherwise see less than they expect without knowing why.
   */
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
      if (!token) {
        // A malformed bearer header is as wrong as a bad token; other schemes (a proxy's Basic) are not ours.
        if (/^\s*bearer\b/i.test(request.headers.authorization ?? '')) throw AppError.unauthorized();
        return;
      }
      const { user, sessionId } = await auth.authenticate(token);
      request.user = user;
      request.sessionId = sessionId;
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
