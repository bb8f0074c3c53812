import type { Queryable } from './db.ts';

// The change-capture outbox (realtime.changes, migrations 0003, 0031, 0037) as its readers see it: the realtime
// service's feed and the backend's database-trigger dispatcher share this reading and its gap rules (change-feed.ts).

export type Operation = 'INSERT' | 'UPDATE' | 'DELETE';

export interface ChangeRow {
  seq: number;
  table_name: string;
  /** The registry id (`tables.id`) of a user table; null for system tables (migration 0031). */
  table_id: string | null;
  operation: Operation;
  new_row: Record<string, unknown> | null;
  old_row: Record<string, unknown> | null;
  /** False for a change captured for functions only (its table's realtime is off): never sent to subscribers. */
  broadcast: boolean;
}

/**
 * Which transactions a snapshot saw as running: those in `xip`, and every id at or above `xmax` (Postgres sets
 * xmax just past the last completed transaction, so a running one can sit at or above it without being listed).
 * Full 64-bit ids (xid8).
 */
export interface Snapshot {
  xmin: bigint;
  xmax: bigint;
  xip: Set<bigint>;
}

export interface ChangesRead {
  snapshot: Snapshot;
  rows: ChangeRow[];
  /**
   * When the rows are not contiguous after `after`: transactions that hold a lock on realtime.changes, i.e. that
   * inserted a change and have not ended (32-bit ids, see `widenXid`); null otherwise.
   */
  writers: number[] | null;
}

export const CHANGE_COLUMNS = 'seq, table_name, table_id, operation, new_row, old_row, broadcast';

const SNAPSHOT_COLUMNS = `pg_snapshot_xmin(snap.s)::text AS xmin, pg_snapshot_xmax(snap.s)::text AS xmax,
  (SELECT COALESCE(array_agg(x::text), '{}') FROM pg_snapshot_xip(snap.s) AS x) AS xip`;

// Transactions holding the lock every inserter into realtime.changes keeps until it ends. pg_locks is read live,
// never from a snapshot; inside a statement that is after the statement's snapshot was taken, which is all the
// change feed needs.
const WRITERS = `(SELECT COALESCE(array_agg(DISTINCT t.transactionid::text), '{}')
  FROM pg_locks r
  JOIN pg_locks t ON t.virtualtransaction = r.virtualtransaction
  WHERE r.locktype = 'relation' AND r.relation = 'realtime.changes'::regclass
    AND r.mode = 'RowExclusiveLock' AND r.granted
    AND t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted)`;

type SnapshotRow = { xmin: string; xmax: string; xip: string[] };

function toSnapshot(row: SnapshotRow | undefined): Snapshot {
  if (!row) throw new Error('no snapshot row');
  return { xmin: BigInt(row.xmin), xmax: BigInt(row.xmax), xip: new Set(row.xip.map((x) => BigInt(x))) };
}

/**
 * Committed changes after `after`, in seq order, with the snapshot they were read with (pg_current_snapshot() is
 * the snapshot the statement reads with, so a transaction it saw as finished had its rows, if any, among them).
 * When the rows leave a gap, the outbox writers come along, read in the same statement (one round trip).
 */
export async function readChangesAfter(db: Queryable, after: number, limit: number): Promise<ChangesRead> {
  const { rows } = await db.query<ChangeRow & SnapshotRow & { writers: string[] | null }>(
    `WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
       batch AS MATERIALIZED (
         SELECT ${CHANGE_COLUMNS} FROM realtime.changes WHERE seq > $1 ORDER BY seq LIMIT $2
       )
     SELECT ${SNAPSHOT_COLUMNS},
       CASE WHEN (SELECT count(*) <> COALESCE(max(seq) - $1, 0) FROM batch) THEN ${WRITERS} END AS writers,
       b.*
     FROM snap LEFT JOIN batch AS b ON TRUE
     ORDER BY b.seq`,
    [after, limit],
  );
  const writers = rows[0]?.writers;
  return {
    snapshot: toSnapshot(rows[0]),
    rows: rows.filter((row) => row.seq !== null),
    writers: writers ? writers.map(Number) : null,
  };
}

/**
 * The highest seq known to be handed out (committed, or pruned after committing), with the snapshot it was read
 * with and the outbox writers of that moment.
 */
export async function readHead(
  db: Queryable,
): Promise<{ maxSeq: number; snapshot: Snapshot; writers: number[] }> {
  const { rows } = await db.query<{ max_seq: number; writers: string[] } & SnapshotRow>(
    `WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s)
     SELECT ${SNAPSHOT_COLUMNS},
       GREATEST((SELECT COALESCE(max(seq), 0) FROM realtime.changes),
                (SELECT pruned_through FROM realtime.retention WHERE id = 1)) AS max_seq,
       ${WRITERS} AS writers
     FROM snap`,
  );
  return {
    maxSeq: Number(rows[0]?.max_seq ?? 0),
    snapshot: toSnapshot(rows[0]),
    writers: (rows[0]?.writers ?? []).map(Number),
  };
}

const EPOCH = 2n ** 32n;
const HALF_EPOCH = 2n ** 31n;

/** The 64-bit id of a 32-bit one that is within 2^31 of `near` (a snapshot's xmax), as Postgres widens them. */
export function widenXid(xid32: number, near: bigint): bigint {
  let candidate = (near / EPOCH) * EPOCH + BigInt(xid32);
  if (candidate > near + HALF_EPOCH) candidate -= EPOCH;
  else if (candidate < near - HALF_EPOCH) candidate += EPOCH;
  return candidate;
}

/** Whether the snapshot saw the transaction as still running. */
export function isRunningIn(xid: bigint, snapshot: Snapshot): boolean {
  return xid >= snapshot.xmin && (xid >= snapshot.xmax || snapshot.xip.has(xid));
}
