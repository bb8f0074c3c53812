import { randomUUID } from 'node:crypto';
import {
  AppError,
  ErrorCode,
  ERRORS,
  type Pool,
  signAccessToken,
  verifyAccessToken,
  withTransaction,
} from '@selfdb/common';
import { markSystemInitialized } from '../system/system.repository.ts';
import { findUserByEmail, findUserById, type UserRow, updateUser } from '../users/users.repository.ts';
import {
  deleteExpiredRefreshTokens,
  findRefreshTokenForUpdate,
  findUserWithSession,
  insertRefreshToken,
  markPasswordRehash,
  revokeAllRefreshTokens,
  revokeRefreshTokenById,
  revokeUserSessions,
} from './auth.repository.ts';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { generateRefreshToken, hashRefreshToken } from './refresh-tokens.ts';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

/** Who an access token speaks for: the user as the database has it now, and the token's session. */
export interface Authenticated {
  user: UserRow;
  sessionId: string;
}

export interface AuthDeps {
  pool: Pool;
  jwtKey: Uint8Array;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
}

export function createAuthService(deps: AuthDeps) {
  const { pool } = deps;

  /** A new refresh token in session `sessionId` (a new session at login, the same one on rotation). */
  async function issueTokens(db: Pick<Pool, 'query'>, user: UserRow, sessionId: string): Promise<TokenPair> {
    const refreshToken = generateRefreshToken();
    await insertRefreshToken(db, {
      userId: user.id,
      sessionId,
      tokenHash: hashRefreshToken(refreshToken),
      ttlDays: deps.refreshTokenTtlDays,
    });
    return {
      access_token: await signAccessToken(
        deps.jwtKey,
        { sub: user.id, role: user.role, sid: sessionId },
        deps.accessTokenTtlSeconds,
      ),
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: deps.accessTokenTtlSeconds,
    };
  }

  return {
    /** Email + password login. A SelfDB 0.0.5 bcrypt hash is replaced by argon2id on success. */
    async login(email: string, password: string): Promise<TokenPair> {
      const user = await findUserByEmail(pool, email);
      if (!user) {
        await verifyAgainstDummy(password);
        throw AppError.unauthorized('Incorrect email or password', ErrorCode.INVALID_CREDENTIALS);
      }
      if (!(await verifyPassword(user.password, password))) {
        throw AppError.unauthorized('Incorrect email or password', ErrorCode.INVALID_CREDENTIALS);
      }
      if (!user.is_active) throw ERRORS.inactiveUser();
      if (needsRehash(user.password)) {
        const rehashed = await hashPassword(password);
        // The same password in a stronger hash: the user's other sessions stay open.
        await withTransaction(pool, async (client) => {
          await markPasswordRehash(client);
          await updateUser(client, user.id, { password: rehashed });
        });
      }
      await markSystemInitialized(pool);
      await deleteExpiredRefreshTokens(pool, user.id);
      return issueTokens(pool, user, randomUUID());
    },

    /**
     * Rotates a refresh token: the presented one is revoked and a new pair issued. Presenting a token that was
     * already revoked means it leaked: every session of that user is revoked.
     */
    async refresh(refreshToken: string): Promise<TokenPair> {
      const outcome = await withTransaction(pool, async (client) => {
        const stored = await findRefreshTokenForUpdate(client, hashRefreshToken(refreshToken));
        if (!stored) return { error: 'invalid' as const };
        if (stored.revoked_at) {
          await revokeAllRefreshTokens(client, stored.user_id);
          return { error: 'reused' as const };
        }
        if (stored.expires_at.getTime() <= Date.now()) return { error: 'invalid' as const };
        const user = await findUserById(client, stored.user_id);
        if (!user) return { error: 'no-user' as const };
        if (!user.is_active) return { error: 'inactive' as const };
        await revokeRefreshTokenById(client, stored.id);
        return { tokens: await issueTokens(client, user, stored.session_id) };
      });
      if (outcome.tokens) return outcome.tokens;
      switch (outcome.error) {
        case 'reused':
          throw AppError.unauthorized(
            'Token reuse detected. All sessions revoked.',
            ErrorCode.REFRESH_TOKEN_REUSED,
          );
        case 'no-user':
          throw AppError.unauthorized('User not found', ErrorCode.INVALID_REFRESH_TOKEN);
        case 'inactive':
          throw ERRORS.inactiveUser();
        default:
          throw AppError.unauthorized('Invalid or expired refresh token', ErrorCode.INVALID_REFRESH_TOKEN);
      }
    },

    /**
     * Ends the session of the access token, and the session of `refreshToken` too when it is another one of the
     * user's. The user's other sessions stay open.
     */
    async logout(userId: string, sessionId: string, refreshToken?: string | null): Promise<void> {
      await revokeUserSessions(pool, userId, sessionId, refreshToken ? hashRefreshToken(refreshToken) : null);
    },

    /** Ends every session of the user (every device). */
    async logoutAll(userId: string): Promise<void> {
      await revokeAllRefreshTokens(pool, userId);
    },

    /**
     * Resolves a bearer token to the current user row and its session. Both are read on every call, in the one
     * query that reads the user: a deactivated, deleted or demoted user loses access at once, and so does every
     * token of a session that ended (logout, logout-all, a new password or role), in every process.
     *
     * Why no cache: the row has to be read anyway (role and is_active decide access), so the session check rides
     * on that round trip (one more index probe). A per-process cache of revocations would save nothing here and
     * would leave a window in which an ended session still works.
     */
    async authenticate(accessToken: string): Promise<Authenticated> {
      const claims = await verifyAccessToken(deps.jwtKey, accessToken, deps.accessTokenTtlSeconds);
      if (!claims) throw AppError.unauthorized();
      const row = await findUserWithSession(pool, claims.sub, claims.sid);
      if (!row) throw AppError.unauthorized();
      if (!row.is_active) throw ERRORS.inactiveUser();
      if (!row.session_open) throw AppError.unauthorized();
      return { user: row, sessionId: claims.sid };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
