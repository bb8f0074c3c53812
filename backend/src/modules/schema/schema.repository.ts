import type { Queryable } from '@selfdb/common';

export interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  column_default: string | null;
}

export interface ForeignKeyRow {
  constraint_name: string;
  source: string;
  target: string;
  source_column: string;
  target_column: string;
  columns: number;
}

export interface SchemaChangeRow {
  id: number;
  occurred_at: Date;
  user_id: string | null;
  user_email: string | null;
  db_user: string;
  application_name: string | null;
  event: string;
  command_tag: string;
  object_type: string | null;
  schema_name: string | null;
  object_identity: string | null;
}

/** Names of the base tables of `public`, sorted. */
export async function listPublicTableNames(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT table_name::text FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
     ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

/** Columns of the base tables of `public`, as information_schema describes them (SelfDB 0.0.5's source). */
export async function listPublicColumns(db: Queryable): Promise<ColumnRow[]> {
  const { rows } = await db.query<ColumnRow>(
    `SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.column_default::text
     FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
     ORDER BY c.table_name, c.ordinal_position`,
  );
  return rows;
}

/** Primary key columns of the tables of `public`, in key order. */
export async function listPrimaryKeys(db: Queryable): Promise<{ table_name: string; column_name: string }[]> {
  const { rows } = await db.query<{ table_name: string; column_name: string }>(
    `SELECT c.relname::text AS table_name, a.attname::text AS column_name
     FROM pg_index i
     JOIN pg_class c ON c.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indisprimary
     ORDER BY c.relname, k.ord`,
  );
  return rows;
}

/** Foreign keys between tables of `public`: one row per column pair (composite keys have several). */
export async function listForeignKeys(db: Queryable): Promise<ForeignKeyRow[]> {
  const { rows } = await db.query<ForeignKeyRow>(
    `SELECT con.conname::text AS constraint_name, src.relname::text AS source, tgt.relname::text AS target,
       sa.attname::text AS source_column, ta.attname::text AS target_column,
       cardinality(con.conkey)::int AS columns
     FROM pg_constraint con
     JOIN pg_class src ON src.oid = con.conrelid
     JOIN pg_class tgt ON tgt.oid = con.confrelid
     CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(src_att, tgt_att, ord)
     JOIN pg_attribute sa ON sa.attrelid = con.conrelid AND sa.attnum = k.src_att
     JOIN pg_attribute ta ON ta.attrelid = con.confrelid AND ta.attnum = k.tgt_att
     WHERE con.contype = 'f'
       AND src.relnamespace = 'public'::regnamespace AND tgt.relnamespace = 'public'::regnamespace
     ORDER BY src.relname, con.conname, k.ord`,
  );
  return rows;
}

/** A page of the schema change log, newest first, with the email of the SelfDB user when known. */
export async function listSchemaChanges(
  db: Queryable,
  page: { skip: number; limit: number },
): Promise<SchemaChangeRow[]> {
  const { rows } = await db.query<SchemaChangeRow>(
    `SELECT s.id, s.occurred_at, s.user_id, u.email AS user_email, s.db_user, s.application_name, s.event,
       s.command_tag, s.object_type, s.schema_name, s.object_identity
     FROM selfdb_schema_changes s
     LEFT JOIN users u ON u.id = s.user_id
     ORDER BY s.id DESC
     OFFSET $1 LIMIT $2`,
    [page.skip, page.limit],
  );
  return rows;
}

export async function countSchemaChanges(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*) AS count FROM selfdb_schema_changes');
  return rows[0]!.count;
}

/**
 * Names the SelfDB user behind the current transaction's DDL in the schema change log. Transaction-local (safe
 * through PgBouncer): call it inside the transaction that runs the DDL, e.g. from the tables API.
 */
export async function setSchemaChangeActor(db: Queryable, userId: string): Promise<void> {
  await db.query("SELECT set_config('selfdb.user_id', $1, true)", [userId]);
}
