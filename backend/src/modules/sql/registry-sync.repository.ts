import type { Queryable } from '@selfdb/common';

/** A table of schema `public` as the catalog has it now. */
export interface CatalogTable {
  oid: number;
  name: string;
  /** Changes whenever a column is added, dropped, renamed, retyped, or its nullability or default changes. */
  signature: string;
  /** The table's catalog rows were written by the current transaction (not by another one committed meanwhile). */
  mine: boolean;
}

export interface CatalogColumn {
  table_oid: number;
  name: string;
  /** format_type(), e.g. `character varying(255)`, `integer[]`. */
  type: string;
  not_null: boolean;
  default_expr: string | null;
  primary_key: boolean;
}

// Every name is schema-qualified: a console script may have changed search_path with SET LOCAL.
const COLUMN_SIGNATURE = `a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
  || ' ' || COALESCE(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '')`;

/**
 * Ordinary and partitioned tables of `public`, without partitions (their parent stands for them) and without
 * tables that belong to an extension.
 */
export async function snapshotPublicTables(db: Queryable): Promise<CatalogTable[]> {
  const { rows } = await db.query<CatalogTable>(
    `SELECT c.oid::int8 AS oid, c.relname::text AS name,
       pg_catalog.md5(COALESCE(pg_catalog.string_agg(${COLUMN_SIGNATURE}, ',' ORDER BY a.attnum), '')) AS signature,
       COALESCE(pg_catalog.bool_or(x.xid IN (c.xmin, a.xmin, d.xmin)), FALSE) AS mine
     FROM pg_catalog.pg_class c
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
     LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     CROSS JOIN (SELECT pg_catalog.pg_current_xact_id_if_assigned()::xid AS xid) x
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                       WHERE dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                         AND dep.objid = c.oid AND dep.deptype = 'e')
     GROUP BY c.oid, c.relname`,
  );
  return rows;
}

/** The columns of the given tables, in column order. */
export async function findCatalogColumns(db: Queryable, oids: number[]): Promise<CatalogColumn[]> {
  if (oids.length === 0) return [];
  const { rows } = await db.query<CatalogColumn>(
    `SELECT a.attrelid::int8 AS table_oid, a.attname::text AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       EXISTS (SELECT 1 FROM pg_catalog.pg_index i
               WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS primary_key
     FROM pg_catalog.pg_attribute a
     LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = ANY ($1::int8[]::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  return rows;
}

/** Names (among `names`) that have a registry row. */
export async function findRegisteredNames(db: Queryable, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const { rows } = await db.query<{ name: string }>(
    'SELECT name FROM public.tables WHERE name = ANY ($1::text[])',
    [names],
  );
  return new Set(rows.map((row) => row.name));
}

export async function deleteRegistryRows(db: Queryable, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await db.query('DELETE FROM public.tables WHERE name = ANY ($1::text[])', [names]);
}

/**
 * Renames registry rows. When the renames reuse each other's names (a → tmp, b → a, tmp → b) they go through unique
 * placeholder names first, because the unique index is checked row by row.
 */
export async function renameRegistryRows(
  db: Queryable,
  renames: { from: string; to: string }[],
): Promise<void> {
  if (renames.length === 0) return;
  const from = renames.map((r) => r.from);
  const to = renames.map((r) => r.to);
  if (!to.some((name) => from.includes(name))) {
    await db.query(
      `UPDATE public.tables t SET name = m.to_name, updated_at = NOW()
       FROM unnest($1::text[], $2::text[]) AS m(from_name, to_name)
       WHERE t.name = m.from_name`,
      [from, to],
    );
    return;
  }
  const { rows } = await db.query<{ id: string; to_name: string }>(
    `UPDATE public.tables t SET name = '__selfdb_rename_' || t.id::text
     FROM unnest($1::text[], $2::text[]) AS m(from_name, to_name)
     WHERE t.name = m.from_name
     RETURNING t.id, m.to_name`,
    [from, to],
  );
  await db.query(
    `UPDATE public.tables t SET name = m.to_name, updated_at = NOW()
     FROM unnest($1::uuid[], $2::text[]) AS m(id, to_name)
     WHERE t.id = m.id`,
    [rows.map((r) => r.id), rows.map((r) => r.to_name)],
  );
}

export async function updateRegistrySchemas(
  db: Queryable,
  updates: { name: string; tableSchema: object }[],
): Promise<void> {
  if (updates.length === 0) return;
  await db.query(
    `UPDATE public.tables t SET table_schema = u.table_schema, updated_at = NOW()
     FROM unnest($1::text[], $2::jsonb[]) AS u(name, table_schema)
     WHERE t.name = u.name`,
    [updates.map((u) => u.name), updates.map((u) => JSON.stringify(u.tableSchema))],
  );
}

/** Registers tables made in the console: private, owned by the admin who ran it. Existing names are left alone. */
export async function insertRegistryRows(
  db: Queryable,
  ownerId: string,
  tables: { name: string; tableSchema: object }[],
): Promise<void> {
  if (tables.length === 0) return;
  await db.query(
    `INSERT INTO public.tables (name, table_schema, public, owner_id, description, metadata)
     SELECT name, table_schema, FALSE, $3, 'Table created via SQL Editor', '{}'
     FROM unnest($1::text[], $2::jsonb[]) AS n(name, table_schema)
     ON CONFLICT (name) DO NOTHING`,
    [tables.map((t) => t.name), tables.map((t) => JSON.stringify(t.tableSchema)), ownerId],
  );
}
