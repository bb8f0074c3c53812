import { CHANGE_COLUMNS, type ChangeRow, type Queryable } from '@selfdb/common';

// The outbox reads the change feed shares with the backend live in common/src/outbox.ts; these are realtime's own.
export {
  type ChangeRow,
  type ChangesRead,
  isRunningIn,
  type Operation,
  readChangesAfter,
  readHead,
  type Snapshot,
  widenXid,
} from '@selfdb/common';

export interface ReplayPage {
  /** Changes with seq <= this may have been pruned (realtime.retention, migration 0020). */
  prunedThrough: number;
  rows: ChangeRow[];
}

/** Whose changes a topic carries: a user table by its registry id, or a system table by its name. */
export type TableIdentity = { tableId: string } | { systemTable: string };

/**
 * One table's changes in (after, upTo], oldest first, and the prune watermark of the same snapshot. A user table's
 * are matched by registry id only: changes of another table that had its name (dropped, renamed) never come back.
 */
export async function readReplayPage(
  db: Queryable,
  table: TableIdentity,
  after: number,
  upTo: number,
  limit: number,
): Promise<ReplayPage> {
  const match = 'tableId' in table ? 'table_id = $1::uuid' : 'table_id IS NULL AND table_name = $1::text';
  const { rows } = await db.query<ChangeRow & { pruned_through: number }>(
    `SELECT (SELECT pruned_through FROM realtime.retention WHERE id = 1) AS pruned_through, c.*
     FROM (SELECT 1) AS one
     LEFT JOIN LATERAL (
       SELECT ${CHANGE_COLUMNS} FROM realtime.changes
       WHERE ${match} AND broadcast AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4
     ) AS c ON TRUE`,
    ['tableId' in table ? table.tableId : table.systemTable, after, upTo, limit],
  );
  return {
    prunedThrough: Number(rows[0]?.pruned_through ?? 0),
    rows: rows.filter((row) => row.seq !== null),
  };
}

/** What a resume from a client's last_seq is checked against: the prune watermark and the last seq handed out. */
export async function readResumeBounds(
  db: Queryable,
): Promise<{ prunedThrough: number; lastIssued: number }> {
  const { rows } = await db.query<{ pruned_through: number; last_issued: number }>(
    `SELECT (SELECT pruned_through FROM realtime.retention WHERE id = 1) AS pruned_through,
            (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM realtime.changes_seq_seq)
              AS last_issued`,
  );
  return {
    prunedThrough: Number(rows[0]?.pruned_through ?? 0),
    lastIssued: Number(rows[0]?.last_issued ?? 0),
  };
}
