import type { Queryable } from '@selfdb/common';

/**
 * Serializes the quota decisions of one user until the transaction ends (PgBouncer-safe: a transaction lock).
 * The key lives in its own space (the two-int form, class 0x5e1fdb) so it cannot meet other advisory locks.
 */
export async function lockUserQuota(db: Queryable, userId: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(6168539, hashtext($1))', [userId]);
}

/**
 * Bytes counted against the user's quota, leaving out reservation `exceptId`: the files they own (current ones,
 * every bucket) plus their live upload reservations.
 */
export async function findQuotaUsage(db: Queryable, userId: string, exceptId: string): Promise<number> {
  const { rows } = await db.query<{ used: string }>(
    `SELECT (SELECT COALESCE(sum(size), 0) FROM files
              WHERE owner_id = $1 AND is_latest AND deleted_at IS NULL)
          + (SELECT COALESCE(sum(bytes), 0) FROM selfdb.upload_reservations
              WHERE user_id = $1 AND expires_at > now() AND id <> $2) AS used`,
    [userId, exceptId],
  );
  return Number(rows[0]?.used ?? 0);
}

/** Creates or resizes reservation `id`, valid for `ttlSeconds` from now; drops the user's expired ones. */
export async function upsertReservation(
  db: Queryable,
  reservation: { id: string; userId: string; bytes: number; ttlSeconds: number },
): Promise<void> {
  await db.query('DELETE FROM selfdb.upload_reservations WHERE user_id = $1 AND expires_at <= now()', [
    reservation.userId,
  ]);
  await db.query(
    `INSERT INTO selfdb.upload_reservations (id, user_id, bytes, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4))
     ON CONFLICT (id) DO UPDATE SET bytes = EXCLUDED.bytes, expires_at = EXCLUDED.expires_at
     WHERE upload_reservations.user_id = EXCLUDED.user_id`,
    [reservation.id, reservation.userId, reservation.bytes, reservation.ttlSeconds],
  );
}

export async function deleteReservation(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM selfdb.upload_reservations WHERE id = $1', [id]);
}
