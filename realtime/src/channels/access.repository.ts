import type { Queryable } from '@selfdb/common';

export interface UserAccessRow {
  id: string;
  role: 'USER' | 'ADMIN';
  is_active: boolean;
}

export interface TableAccessRow {
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

/** The registry row of a user table (SelfDB's `tables`), or null when no table has that name. */
export async function findTableAccess(db: Queryable, name: string): Promise<TableAccessRow | null> {
  const { rows } = await db.query<TableAccessRow>(
    'SELECT name, public, owner_id, realtime_enabled FROM tables WHERE name = $1',
    [name],
  );
  return rows[0] ?? null;
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
