import {
  AppError,
  ErrorCode,
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
  insertRefreshToken,
  revokeAllRefreshTokens,
  revokeRefreshTokenById,
  revokeUserRefreshToken,
} from './auth.repository.ts';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { generateRefreshToken, hashRefreshToken } from './refresh-tokens.ts';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export interface AuthDeps {
  pool: Pool;
  jwtKey: Uint8Array;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
}

const inactiveUser = () => new AppError(400, ErrorCode.USER_INACTIVE, 'Inactive user');

export function createAuthService(deps: AuthDeps) {
  const { pool } = deps;

  async function issueTokens(db: Pick<Pool, 'query'>, user: UserRow): Promise<TokenPair> {
    const refreshToken = generateRefreshToken();
    await insertRefreshToken(db, user.id, hashRefreshToken(refreshToken), deps.refreshTokenTtlDays);
    return {
      access_token: await signAccessToken(
        deps.jwtKey,
        { sub: user.id, role: user.role },
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
      if (!user.is_active) throw inactiveUser();
      if (needsRehash(user.password))
        await updateUser(pool, user.id, { password: await hashPassword(password) });
      await markSystemInitialized(pool);
      await deleteExpiredRefreshTokens(pool, user.id);
      return issueTokens(pool, user);
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
        return { tokens: await issueTokens(client, user) };
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
          throw inactiveUser();
        default:
          throw AppError.unauthorized('Invalid or expired refresh token', ErrorCode.INVALID_REFRESH_TOKEN);
      }
    },

    /** Revokes one refresh token of the user, or all of them when none is given. */
    async logout(userId: string, refreshToken?: string | null): Promise<void> {
      if (refreshToken) await revokeUserRefreshToken(pool, userId, hashRefreshToken(refreshToken));
      else await revokeAllRefreshTokens(pool, userId);
    },

    async logoutAll(userId: string): Promise<void> {
      await revokeAllRefreshTokens(pool, userId);
    },

    /**
     * Resolves a bearer token to the current user row. The row is read on every call, so a deactivated, deleted or
     * demoted user loses access at once, whatever tokens they still hold.
     */
    async authenticate(accessToken: string): Promise<UserRow> {
      const claims = await verifyAccessToken(deps.jwtKey, accessToken);
      if (!claims) throw AppError.unauthorized();
      const user = await findUserById(pool, claims.sub);
      if (!user) throw AppError.unauthorized();
      if (!user.is_active) throw inactiveUser();
      return user;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
