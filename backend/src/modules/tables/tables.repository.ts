import type { Queryable } from '@selfdb/common';
import type { TableSchema } from './table-schema.ts';
import { containsPattern } from '../../db/like.ts';

/** A row of the `tables` registry, with its live row count. */
export interface TableRow {
  id: string;
  name: string;
  table_schema: TableSchema;
  public: boolean;
  owner_id: string;
  description: string | null;
  metadata: Record<string, unknown> | null;
  row_count: number;
  realtime_enabled: boolean;
  created_at: Date | null;
  updated_at: Date | null;
}

export type TableSortColumn = 'created_at' | 'updated_at' | 'name';

/** Who may see which tables (SPEC §2.1): everything, public ones, or public ones plus one owner's. */
export type Visibility = { all: true } | { all: false; ownerId: string | null };

export interface TableListQuery {
  skip: number;
  limit: number;
  search?: string;
  sortBy: TableSortColumn;
  sortOrder: 'asc' | 'desc';
}

// row_count is derived (migration 0004), never read from the registry's own column, which nothing maintains.
const COLUMNS = `id, name, table_schema, public, owner_id, description, metadata, realtime_enabled, created_at,
  updated_at, selfdb.row_count(id, name) AS row_count`;
const SORT_SQL: Record<TableSortColumn, string> = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  name: 'name',
};

function filters(visibility: Visibility, search: string | undefined, params: unknown[]): string {
  const conditions: string[] = [];
  if (!visibility.all) {
    if (visibility.ownerId === null) conditions.push('public');
    else {
      params.push(visibility.ownerId);
      conditions.push(`(public OR owner_id = $${params.length})`);
    }
  }
  if (search) {
    params.push(containsPattern(search));
    conditions.push(`(name ILIKE $${params.length} OR description ILIKE $${params.length})`);
  }
  return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
}

export async function listTables(db: Queryable, visibility: Visibility, query: TableListQuery) {
  const params: unknown[] = [];
  const where = filters(visibility, query.search, params);
  params.push(query.limit, query.skip);
  // sortBy and sortOrder come from an enum (validated by the route schema) mapped through fixed tables.
  const direction = query.sortOrder === 'asc' ? 'ASC' : 'DESC';
  const { rows } = await db.query<TableRow>(
    `SELECT ${COLUMNS} FROM tables ${where}
     ORDER BY ${SORT_SQL[query.sortBy]} ${direction} NULLS LAST, id
     LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows;
}

export async function countTables(db: Queryable, visibility: Visibility, search?: string): Promise<number> {
  const params: unknown[] = [];
  const where = filters(visibility, search, params);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*) AS n FROM tables ${where}`, params);
  return rows[0]?.n ?? 0;
}

export async function findTableById(
  db: Queryable,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<TableRow | null> {
  const { rows } = await db.query<TableRow>(
    `SELECT ${COLUMNS} FROM tables WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export interface NewTableRow {
  name: string;
  tableSchema: TableSchema;
  public: boolean;
  ownerId: string;
  description: string | null;
  metadata: Record<string, unknown>;
}

/** Registers a table; the registry's insert trigger starts its row count (migration 0004). */
export async function insertTable(db: Queryable, table: NewTableRow): Promise<TableRow> {
  const { rows } = await db.query<TableRow>(
    `INSERT INTO tables (name, table_schema, public, owner_id, description, metadata)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [
      table.name,
      JSON.stringify(table.tableSchema),
      table.public,
      table.ownerId,
      table.description,
      JSON.stringify(table.metadata),
    ],
  );
  return rows[0]!;
}

export interface TableChanges {
  name?: string;
  table_schema?: TableSchema;
  public?: boolean;
  description?: string;
  metadata?: Record<string, unknown>;
  realtime_enabled?: boolean;
}

// Whitelist of updatable registry columns: TableChanges keys never come from request text.
const UPDATABLE: ReadonlyArray<keyof TableChanges> = [
  'name',
  'table_schema',
  'public',
  'description',
  'metadata',
  'realtime_enabled',
];
const JSON_COLUMNS = new Set<keyof TableChanges>(['table_schema', 'metadata']);

/** Applies `changes` and always bumps updated_at (other backends' metadata caches watch the registry). */
export async function updateTable(db: Queryable, id: string, changes: TableChanges): Promise<TableRow> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const column of UPDATABLE) {
    const value = changes[column];
    if (value === undefined) continue;
    params.push(JSON_COLUMNS.has(column) ? JSON.stringify(value) : value);
    sets.push(`${column} = $${params.length}`);
  }
  sets.push('updated_at = NOW()');
  const { rows } = await db.query<TableRow>(
    `UPDATE tables SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
    params,
  );
  return rows[0]!;
}

export async function deleteTable(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM tables WHERE id = $1', [id]);
  await db.query('DELETE FROM selfdb.row_count_deltas WHERE table_id = $1', [id]);
}

/** A column as the catalog describes it. */
export interface CatalogColumn {
  name: string;
  /** format_type(), e.g. `character varying(255)`, `numeric(10,2)`, `text[]`. */
  type: string;
  /** pg_type.typname of the (element) type, e.g. `varchar`, `int4`. */
  typname: string;
  array: boolean;
  notnull: boolean;
  has_default: boolean;
  generated: boolean;
  max_length: number | null;
}

export interface TableMetaRow {
  id: string;
  name: string;
  public: boolean;
  owner_id: string;
  realtime_enabled: boolean;
  /** Null when the registry names a table that does not exist (dropped in SQL). */
  relid: number | null;
  columns: CatalogColumn[] | null;
  pk: string[] | null;
  unique_columns: string[] | null;
  counted: boolean;
}

/** The registry entry and the catalog's view of its table, in one round trip. */
export async function loadTableMeta(db: Queryable, id: string): Promise<TableMetaRow | null> {
  const { rows } = await db.query<TableMetaRow>(
    `SELECT t.id, t.name, t.public, t.owner_id, t.realtime_enabled, c.oid::int8 AS relid,
       (SELECT json_agg(json_build_object(
           'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
           'typname', COALESCE(et.typname, ty.typname), 'array', et.oid IS NOT NULL,
           'notnull', a.attnotnull, 'has_default', a.atthasdef OR a.attidentity <> '',
           'generated', a.attgenerated <> '' OR a.attidentity = 'a',
           'max_length', CASE WHEN COALESCE(et.typname, ty.typname) IN ('varchar', 'bpchar') AND a.atttypmod > 4
                              THEN a.atttypmod - 4 END)
           ORDER BY a.attnum)
        FROM pg_attribute a
        JOIN pg_type ty ON ty.oid = a.atttypid
        LEFT JOIN pg_type et ON et.oid = ty.typelem AND ty.typcategory = 'A'
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT array_agg(a.attname::text ORDER BY k.ord)
        FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = c.oid AND i.indisprimary) AS pk,
       (SELECT array_agg(DISTINCT a.attname::text)
        FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = c.oid AND i.indisunique AND i.indnatts = 1 AND i.indpred IS NULL
          AND i.indexprs IS NULL) AS unique_columns,
       selfdb.is_row_count_tracked(c.oid::regclass) AS counted
     FROM tables t
     LEFT JOIN pg_class c ON c.oid = to_regclass(format('public.%I', t.name))
     WHERE t.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}
