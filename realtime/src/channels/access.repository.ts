import type { Queryable } from '@selfdb/common';

export interface UserAccessRow {
  id: string;
  role: 'USER' | 'ADMIN';
  is_active: boolean;
}

export interface TableAccessRow {
  /** The registry id: what the table's changes are keyed by (migration 0031). */
  id: string;
  name: string;
  public: boolean;
  owner_id: string | null;
  realtime_enabled: boolean;
}

export interface ColumnRow {
  name: string;
  /** `format_type` of the column, e.g. `integer`, `character varying(20)`, `timestamp with time zone`. */
  type: string;
  /** pg_type.typcategory: N numeric, S string, B boolean, D date/time, U user-defined (uuid, json), A array... */
  category: string;
}

export async function findUserAccess(db: Queryable, id: string): Promise<UserAccessRow | null> {
  const { rows } = await db.query<UserAccessRow>('SELECT id, role, is_active FROM users WHERE id = $1', [id]);
  return rows[0] ?? null;
}

/** The rows of those of `ids` that still exist. */
export async function findUsersAccess(db: Queryable, ids: readonly string[]): Promise<UserAccessRow[]> {
  const { rows } = await db.query<UserAccessRow>(
    'SELECT id, role, is_active FROM users WHERE id = ANY($1::uuid[])',
    [ids],
  );
  return rows;
}

export interface TableEpochRow extends TableAccessRow {
  /**
   * Where the table's current epoch starts (realtime.table_epochs, migration 0031): its changes at or below this seq
   * were captured under another name, visibility, owner or capture state. A table without an epoch row (none should
   * lack one) starts at the last seq handed out, so nothing older is ever replayed from it.
   */
  since_seq: number;
}

/** The registry row of a user table (SelfDB's `tables`) with its epoch, or null when no table has that name. */
export async function findTableAccess(db: Queryable, name: string): Promise<TableEpochRow | null> {
  const { rows } = await db.query<TableEpochRow>(
    `SELECT t.id, t.name, t.public, t.owner_id, t.realtime_enabled,
            COALESCE(e.since_seq, (SELECT last_value FROM realtime.changes_seq_seq)) AS since_seq
     FROM tables t
     LEFT JOIN realtime.table_epochs e ON e.table_id = t.id
     WHERE t.name = $1`,
    [name],
  );
  const row = rows[0];
  return row ? { ...row, since_seq: Number(row.since_seq) } : null;
}

/** Columns of `public.<name>` as the catalog has them now (empty when there is no such table). */
export async function findTableColumns(db: Queryable, name: string): Promise<ColumnRow[]> {
  const { rows } = await db.query<ColumnRow>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category
     FROM pg_attribute a
     JOIN pg_type t ON t.oid = a.atttypid
     WHERE a.attrelid = to_regclass(format('public.%I', $1::text)) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [name],
  );
  return rows;
}
