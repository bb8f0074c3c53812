import type { Queryable } from '@selfdb/common';

/** Held (per transaction) by the backend that prunes the outbox; the others skip their turn. */
const PRUNE_LOCK_KEY = 7302150402;

/** True when this transaction got the prune lock; released at its end (safe through PgBouncer). */
export async function tryPruneLock(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
    PRUNE_LOCK_KEY,
  ]);
  return rows[0]?.locked ?? false;
}

/** Deletes outbox rows older than `maxAgeHours` and beyond the newest `maxRows` (migration 0003). */
export async function pruneChanges(db: Queryable, maxAgeHours: number, maxRows: number): Promise<number> {
  const { rows } = await db.query<{ deleted: number }>(
    'SELECT realtime.prune_changes(make_interval(hours => $1), $2) AS deleted',
    [maxAgeHours, maxRows],
  );
  return rows[0]?.deleted ?? 0;
}

/** Folds row-count deltas (migration 0004); null when another backend is folding right now. */
export async function foldRowCounts(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ folded: number }>('SELECT selfdb.fold_row_counts() AS folded');
  const folded = rows[0]?.folded ?? -1;
  return folded < 0 ? null : folded;
}
