import type { Queryable } from '@selfdb/common';

export interface RefreshTokenRow {
  id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
}

export async function insertRefreshToken(db: Queryable, userId: string, tokenHash: string, ttlDays: number) {
  await db.query(
    `INSERT INTO refresh_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, NOW() + make_interval(days => $3))`,
    [userId, tokenHash, ttlDays],
  );
}

/** Finds a refresh token by hash and locks its row until the transaction ends (rotation is single-use). */
export async function findRefreshTokenForUpdate(
  db: Queryable,
  tokenHash: string,
): Promise<RefreshTokenRow | null> {
  const { rows } = await db.query<RefreshTokenRow>(
    'SELECT id, user_id, expires_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE',
    [tokenHash],
  );
  return rows[0] ?? null;
}

export async function revokeRefreshTokenById(db: Queryable, id: string) {
  await db.query('UPDATE refresh_tokens SET revoked_at = NOW() WHERE id = $1 AND revoked_at IS NULL', [id]);
}

export async function revokeUserRefreshToken(db: Queryable, userId: string, tokenHash: string) {
  await db.query(
    'UPDATE refresh_tokens SET revoked_at = NOW() WHERE user_id = $1 AND token_hash = $2 AND revoked_at IS NULL',
    [userId, tokenHash],
  );
}

export async function revokeAllRefreshTokens(db: Queryable, userId: string) {
  await db.query('UPDATE refresh_tokens SET revoked_at = NOW() WHERE user_id = $1 AND revoked_at IS NULL', [
    userId,
  ]);
}

/** Drops a user's tokens that expired a while ago (kept a day past expiry so late reuse is still recognized). */
export async function deleteExpiredRefreshTokens(db: Queryable, userId: string) {
  await db.query(`DELETE FROM refresh_tokens WHERE user_id = $1 AND expires_at < NOW() - INTERVAL '1 day'`, [
    userId,
  ]);
}
