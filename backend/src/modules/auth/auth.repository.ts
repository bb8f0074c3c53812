import type { Queryable } from '@selfdb/common';
import { USER_COLUMNS, type UserRow } from '../users/users.repository.ts';

export interface RefreshTokenRow {
  id: string;
  user_id: string;
  /** The session the token belongs to: a login starts one, rotation hands it on. */
  session_id: string;
  expires_at: Date;
  revoked_at: Date | null;
}

export async function insertRefreshToken(
  db: Queryable,
  token: { userId: string; sessionId: string; tokenHash: string; ttlDays: number },
) {
  await db.query(
    `INSERT INTO refresh_tokens (user_id, session_id, token_hash, expires_at)
     VALUES ($1, $2, $3, NOW() + make_interval(days => $4))`,
    [token.userId, token.sessionId, token.tokenHash, token.ttlDays],
  );
}

/** Finds a refresh token by hash and locks its row until the transaction ends (rotation is single-use). */
export async function findRefreshTokenForUpdate(
  db: Queryable,
  tokenHash: string,
): Promise<RefreshTokenRow | null> {
  const { rows } = await db.query<RefreshTokenRow>(
    'SELECT id, user_id, session_id, expires_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE',
    [tokenHash],
  );
  return rows[0] ?? null;
}

export async function revokeRefreshTokenById(db: Queryable, id: string) {
  await db.query('UPDATE refresh_tokens SET revoked_at = NOW() WHERE id = $1 AND revoked_at IS NULL', [id]);
}

/**
 * Ends one session of the user, and the session of `tokenHash` when it is one of theirs (another user's token is
 * left alone): their refresh tokens are revoked, so their access tokens are refused from the next request on.
 */
export async function revokeUserSessions(
  db: Queryable,
  userId: string,
  sessionId: string,
  tokenHash: string | null,
) {
  await db.query(
    `UPDATE refresh_tokens SET revoked_at = NOW()
     WHERE user_id = $1 AND revoked_at IS NULL
       AND (session_id = $2
            OR session_id IN (SELECT session_id FROM refresh_tokens WHERE user_id = $1 AND token_hash = $3))`,
    [userId, sessionId, tokenHash],
  );
}

export async function revokeAllRefreshTokens(db: Queryable, userId: string) {
  await db.query('UPDATE refresh_tokens SET revoked_at = NOW() WHERE user_id = $1 AND revoked_at IS NULL', [
    userId,
  ]);
}

/**
 * The user of an access token with whether its session is still open (an unrevoked, unexpired refresh token
 * carries the session id), in one query: the same round trip that reads the user's role and is_active on every
 * request, so checking the session costs one index probe, not a round trip.
 */
export async function findUserWithSession(
  db: Queryable,
  userId: string,
  sessionId: string,
): Promise<(UserRow & { session_open: boolean }) | null> {
  const { rows } = await db.query<UserRow & { session_open: boolean }>(
    `SELECT ${USER_COLUMNS},
       EXISTS (SELECT 1 FROM refresh_tokens r
               WHERE r.session_id = $2 AND r.user_id = $1 AND r.revoked_at IS NULL AND r.expires_at > NOW())
         AS session_open
     FROM users WHERE id = $1`,
    [userId, sessionId],
  );
  return rows[0] ?? null;
}

/**
 * Marks the transaction as upgrading a password hash (the same password): the `users_end_sessions` trigger then
 * leaves the user's sessions open. Only within a transaction.
 */
export async function markPasswordRehash(db: Queryable) {
  await db.query(`SELECT set_config('selfdb.password_rehash', 'on', true)`);
}

/** Drops a user's tokens that expired a while ago (kept a day past expiry so late reuse is still recognized). */
export async function deleteExpiredRefreshTokens(db: Queryable, userId: string) {
  await db.query(`DELETE FROM refresh_tokens WHERE user_id = $1 AND expires_at < NOW() - INTERVAL '1 day'`, [
    userId,
  ]);
}
