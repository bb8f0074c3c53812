// WARNING: builds SQL text. The only place where table data SQL is written: every identifier in it is a column or
// table name checked against the catalog (TableMeta) and quoted by quoteIdent/quoteTable; every value is bound.
import type { Queryable } from '@selfdb/common';
import type { QueryArrayResult } from 'pg';
import type { RowFilter, RowOrder, RowQuery } from './data-query.ts';
import { quoteIdent, quoteTable } from './identifiers.ts';
import type { TableMeta } from './table-meta.ts';
import { ROW_TYPES } from './values.ts';
import { containsPattern } from '../../db/like.ts';

export type Row = Record<string, unknown>;

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const COMPARISONS = {
  eq: '=',
  neq: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  like: 'LIKE',
  ilike: 'ILIKE',
};
const IS_SQL = { null: 'NULL', true: 'TRUE', false: 'FALSE', unknown: 'UNKNOWN' };
const TOTAL = '__selfdb_total';

function filterSql(filter: RowFilter, params: Params): string {
  const column = quoteIdent(filter.column);
  let sql: string;
  if (filter.op === 'is') sql = `${column} IS ${IS_SQL[filter.value]}`;
  else if (filter.op === 'in') sql = `${column} = ANY(${params.add(filter.values)})`;
  else
    sql = `${filter.cast ? `${column}::text` : column} ${COMPARISONS[filter.op]} ${params.add(filter.value)}`;
  return filter.negate ? `NOT (${sql})` : sql;
}

/** WHERE conditions (without the keyword), or '' when the query has none. */
function whereSql(meta: TableMeta, query: RowQuery, params: Params): string {
  const conditions = query.filters.map((f) => filterSql(f, params));
  if (query.search !== null) {
    if (meta.searchColumns.length === 0) conditions.push('FALSE');
    else {
      const pattern = params.add(containsPattern(query.search));
      conditions.push(`(${meta.searchColumns.map((c) => `${quoteIdent(c)} ILIKE ${pattern}`).join(' OR ')})`);
    }
  }
  return conditions.join(' AND ');
}

/** The requested order, then the primary key, so that pages never overlap or skip rows. */
function orderSql(meta: TableMeta, order: RowOrder[]): string {
  const items = order.map(
    (o) =>
      `${quoteIdent(o.column)} ${o.desc ? 'DESC' : 'ASC'}${o.nulls ? ` NULLS ${o.nulls === 'first' ? 'FIRST' : 'LAST'}` : ''}`,
  );
  for (const key of meta.primaryKey) {
    if (!order.some((o) => o.column === key)) items.push(`${quoteIdent(key)} ASC`);
  }
  return items.length ? ` ORDER BY ${items.join(', ')}` : '';
}

/** Rows as objects, built from array rows (so the total column is left out without deleting properties). */
function toObjects(result: QueryArrayResult, skipLast: boolean): Row[] {
  const names = result.fields.map((f) => f.name);
  const width = skipLast ? names.length - 1 : names.length;
  return result.rows.map((values) => {
    const row: Row = {};
    for (let i = 0; i < width; i++) row[names[i]!] = values[i];
    return row;
  });
}

export interface SelectedRows {
  rows: Row[];
  /** The total of the exact count, when the query carried it. */
  total: number | null;
}

export interface SelectStatement {
  text: string;
  values: unknown[];
  /** The last column is the exact total (count=exact). */
  withTotal: boolean;
}

/**
 * The statement for a page of `query`. With count=exact the total rides along in the same statement: from the
 * row-count deltas when nothing is filtered (no scan), else count(*) OVER (). Exported for the benchmark's baseline,
 * which runs exactly this statement.
 */
export function buildSelect(meta: TableMeta, query: RowQuery): SelectStatement {
  const params = new Params();
  const where = whereSql(meta, query, params);
  const columns = query.columns ? query.columns.map(quoteIdent).join(', ') : '*';
  let total = '';
  if (query.count === 'exact') {
    total =
      where === '' && meta.counted
        ? `, (SELECT COALESCE(sum(delta), 0) FROM selfdb.row_count_deltas WHERE table_id = ${params.add(meta.id)}) AS ${TOTAL}`
        : `, count(*) OVER () AS ${TOTAL}`;
  }
  const text =
    `SELECT ${columns}${total} FROM ${quoteTable(meta.name)}${where ? ` WHERE ${where}` : ''}` +
    `${orderSql(meta, query.order)} LIMIT ${params.add(query.limit)} OFFSET ${params.add(query.offset)}`;
  return { text, values: params.values, withTotal: total !== '' };
}

/** The page of `query`, and its total when the query counts exactly. */
export async function selectRows(db: Queryable, meta: TableMeta, query: RowQuery): Promise<SelectedRows> {
  const { text, values, withTotal } = buildSelect(meta, query);
  const result = await db.query({ text, values, rowMode: 'array', types: ROW_TYPES });
  const rows = toObjects(result, withTotal);
  const first = result.rows[0];
  return { rows, total: withTotal && first ? Number(first[first.length - 1]) : null };
}

/** count(*) of the rows matching `query` (for an exact total when the page itself came back empty). */
export async function countRows(db: Queryable, meta: TableMeta, query: RowQuery): Promise<number> {
  const params = new Params();
  const where = whereSql(meta, query, params);
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*) AS n FROM ${quoteTable(meta.name)}${where ? ` WHERE ${where}` : ''}`,
    params.values,
  );
  return rows[0]?.n ?? 0;
}

/** The planner's estimate of how many rows match `query` (count=estimated): no scan. */
export async function estimateRows(db: Queryable, meta: TableMeta, query: RowQuery): Promise<number> {
  const params = new Params();
  const where = whereSql(meta, query, params);
  const { rows } = await db.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${quoteTable(meta.name)}${where ? ` WHERE ${where}` : ''}`,
    params.values,
  );
  return Math.round(rows[0]?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0);
}

export interface Upsert {
  columns: string[];
  /** Rows that exist already are updated only where this column holds this value (a user's own rows). */
  ownerGuard: { column: string; value: string } | null;
}

/**
 * The statement inserting `rows` in one go (absent keys take the column default), returning them as stored. With
 * `upsert`, a conflicting row is updated with the given values instead. Exported for the benchmark's baseline.
 */
export function buildInsert(
  meta: TableMeta,
  rows: Row[],
  upsert: Upsert | null,
): { text: string; values: unknown[] } {
  const params = new Params();
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const columns = keys.length ? keys : [meta.columnNames[0]!];
  const tuples = rows.map(
    (row) =>
      `(${columns.map((key) => (Object.prototype.hasOwnProperty.call(row, key) ? params.add(row[key]) : 'DEFAULT')).join(', ')})`,
  );
  let conflict = '';
  if (upsert) {
    const updates = keys.filter((key) => !upsert.columns.includes(key));
    const target = upsert.columns.map(quoteIdent).join(', ');
    if (updates.length === 0) conflict = ` ON CONFLICT (${target}) DO NOTHING`;
    else {
      const sets = updates.map((key) => `${quoteIdent(key)} = EXCLUDED.${quoteIdent(key)}`).join(', ');
      const guard = upsert.ownerGuard
        ? ` WHERE ${quoteTable(meta.name)}.${quoteIdent(upsert.ownerGuard.column)} = ${params.add(upsert.ownerGuard.value)}`
        : '';
      conflict = ` ON CONFLICT (${target}) DO UPDATE SET ${sets}${guard}`;
    }
  }
  const text = `INSERT INTO ${quoteTable(meta.name)} (${columns.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')}${conflict} RETURNING *`;
  return { text, values: params.values };
}

/** Inserts (or upserts) `rows` in one statement and returns them as stored. */
export async function insertRows(
  db: Queryable,
  meta: TableMeta,
  rows: Row[],
  upsert: Upsert | null,
): Promise<Row[]> {
  const { text, values } = buildInsert(meta, rows, upsert);
  const result = await db.query({ text, values, rowMode: 'array', types: ROW_TYPES });
  return toObjects(result, false);
}

/** Which row: `column = value`, and, for a user's own rows, `ownerColumn = ownerId` too. */
export interface RowTarget {
  column: string;
  value: unknown;
  owner: { column: string; value: string } | null;
}

function targetSql(target: RowTarget, params: Params): string {
  const owner = target.owner
    ? ` AND ${quoteIdent(target.owner.column)} = ${params.add(target.owner.value)}`
    : '';
  return `${quoteIdent(target.column)} = ${params.add(target.value)}${owner}`;
}

/** Updates the target row; null when no row matched. */
export async function updateRow(
  db: Queryable,
  meta: TableMeta,
  target: RowTarget,
  changes: Row,
): Promise<Row | null> {
  const params = new Params();
  const sets = Object.entries(changes)
    .map(([key, value]) => `${quoteIdent(key)} = ${params.add(value)}`)
    .join(', ');
  const result = await db.query({
    text: `UPDATE ${quoteTable(meta.name)} SET ${sets} WHERE ${targetSql(target, params)} RETURNING *`,
    values: params.values,
    rowMode: 'array',
    types: ROW_TYPES,
  });
  return toObjects(result, false)[0] ?? null;
}

/** Deletes the target row; false when no row matched. */
export async function deleteRow(db: Queryable, meta: TableMeta, target: RowTarget): Promise<boolean> {
  const params = new Params();
  const result = await db.query(
    `DELETE FROM ${quoteTable(meta.name)} WHERE ${targetSql(target, params)}`,
    params.values,
  );
  return (result.rowCount ?? 0) > 0;
}
