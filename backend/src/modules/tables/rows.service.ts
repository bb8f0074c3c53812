import { type Actor, AppError, canManage, ErrorCode, ERRORS, preview, type Queryable } from '@selfdb/common';
import { type DataQueryInput, parseDataQuery } from './data-query.ts';
import { isStaleMetadataError, toTableError } from './pg-detail.ts';
import {
  countRows,
  deleteRow,
  estimateRows,
  insertRows,
  type Row,
  type RowTarget,
  selectRows,
  type Upsert,
  updateRow,
} from './rows.repository.ts';
import { assertCanInsertRows, assertCanSeeTable, rowOwnerScope } from './table-access.ts';
import type { MetaColumn, TableMeta, TableMetaCache } from './table-meta.ts';
import { toColumnParam, toFilterParam } from './values.ts';

export const MAX_INSERT_ROWS = 1000;
/** Postgres binds at most 65535 parameters per statement. */
const MAX_PARAMETERS = 65_535;

export interface TableData {
  data: Row[];
  total: number | null;
  page: number;
  page_size: number;
}

export type InsertResult = { status: 'row_inserted'; data: Row } | { status: 'rows_inserted'; data: Row[] };

/** User ids compare as UUIDs: letter case does not matter. */
const sameId = (value: unknown, id: string) =>
  typeof value === 'string' && value.toLowerCase() === id.toLowerCase();

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function writableColumn(meta: TableMeta, key: string): MetaColumn {
  const column = meta.columns.get(key);
  if (!column)
    throw AppError.badRequest(
      `Column '${preview(key)}' does not exist in table '${meta.name}'`,
      ErrorCode.UNKNOWN_COLUMN,
    );
  if (column.generated)
    throw AppError.badRequest(`Column '${key}' is generated and cannot be written`, ErrorCode.INVALID_VALUE);
  return column;
}

function assertExists(meta: TableMeta) {
  if (!meta.exists) throw AppError.notFound(`Table '${meta.name}' no longer exists in the database`);
}

/** The row the id column and value name; the id column must identify one row on its own. */
function rowTarget(meta: TableMeta, idColumn: string, rowId: string, owner: RowTarget['owner']): RowTarget {
  const column = meta.columns.get(idColumn);
  if (!column)
    throw AppError.badRequest(
      `Invalid id_column: '${preview(idColumn)}'. Valid columns: ${meta.columnNames.join(', ')}`,
      ErrorCode.UNKNOWN_COLUMN,
    );
  if (!meta.uniqueColumns.has(idColumn))
    throw AppError.badRequest(
      `id_column '${idColumn}' must be the primary key or a unique column`,
      ErrorCode.INVALID_FILTER,
    );
  return { column: idColumn, value: toFilterParam(column, rowId), owner };
}

export function createRowsService(db: Queryable, cache: TableMetaCache) {
  /**
   * Runs `work` with the table's metadata; when the statement fails because the metadata was stale (the table or
   * a column renamed or dropped by another process or in SQL), drops it and runs once more with fresh metadata.
   */
  async function withMeta<T>(tableId: string, work: (meta: TableMeta) => Promise<T>): Promise<T> {
    const load = async () => {
      const meta = await cache.get(tableId);
      if (!meta) throw ERRORS.tableNotFound();
      return meta;
    };
    try {
      return await work(await load());
    } catch (err) {
      // A name the cached metadata does not know may be a column added a moment ago (in SQL, or by another backend).
      const unknownName =
        err instanceof AppError &&
        (err.code === ErrorCode.UNKNOWN_COLUMN || err.code === ErrorCode.UNKNOWN_QUERY_PARAMETER);
      if (!unknownName && !isStaleMetadataError(err)) throw toTableError(err);
      cache.invalidate(tableId);
      try {
        return await work(await load());
      } catch (retryErr) {
        throw toTableError(retryErr);
      }
    }
  }

  /** Checks one row body and returns its bound values; fills `user_id` with the caller when the table has one. */
  function toRow(meta: TableMeta, body: unknown, actor: Actor, manager: boolean): Row {
    if (!isPlainObject(body))
      throw AppError.badRequest('Each row must be a JSON object', ErrorCode.INVALID_VALUE);
    const row: Row = {};
    for (const [key, value] of Object.entries(body))
      row[key] = toColumnParam(writableColumn(meta, key), value);
    const owner = meta.ownerColumn;
    if (owner) {
      if (row[owner] === undefined) row[owner] = actor.id;
      else if (!manager && !sameId(row[owner], actor.id))
        throw AppError.forbidden(`You can only insert rows whose ${owner} is your own id`);
    }
    return row;
  }

  return {
    /** GET /tables/{id}/data: a page of rows, with the upstream parameters and PostgREST-style filters. */
    async query(actor: Actor | null, tableId: string, input: DataQueryInput): Promise<TableData> {
      return withMeta(tableId, async (meta) => {
        assertCanSeeTable(actor, meta);
        assertExists(meta);
        const query = parseDataQuery(meta, input);
        const { rows, total } = await selectRows(db, meta, query);
        let count = total;
        if (query.count === 'estimated') count = await estimateRows(db, meta, query);
        else if (query.count === 'exact' && count === null)
          count = query.offset === 0 ? 0 : await countRows(db, meta, query);
        return { data: rows, total: count, page: input.page ?? 1, page_size: query.limit };
      });
    },

    /** POST /tables/{id}/data: one row (an object) or many (an array) in one statement; upsert with onConflict. */
    async insert(
      actor: Actor | null,
      tableId: string,
      body: unknown,
      onConflict: string[] | null,
    ): Promise<InsertResult> {
      return withMeta(tableId, async (meta) => {
        assertCanInsertRows(actor, meta);
        assertExists(meta);
        const bodies = Array.isArray(body) ? body : [body];
        if (bodies.length === 0) throw AppError.badRequest('No rows to insert', ErrorCode.INVALID_VALUE);
        if (bodies.length > MAX_INSERT_ROWS)
          throw AppError.badRequest(`At most ${MAX_INSERT_ROWS} rows per request`, ErrorCode.INVALID_VALUE);
        const manager = canManage(actor, meta);
        const rows = bodies.map((item) => toRow(meta, item, actor, manager));
        const keys = new Set(rows.flatMap((row) => Object.keys(row)));
        if (keys.size * rows.length > MAX_PARAMETERS)
          throw AppError.badRequest(
            'Too many values in one request: send fewer rows',
            ErrorCode.INVALID_VALUE,
          );
        let upsert: Upsert | null = null;
        if (onConflict) {
          for (const name of onConflict) writableColumn(meta, name);
          // A key missing from one row would overwrite that row's stored value with the column default.
          const shape = (row: Row) => Object.keys(row).sort().join(',');
          if (rows.some((row) => shape(row) !== shape(rows[0]!)))
            throw AppError.badRequest(
              'All rows of an upsert must name the same columns',
              ErrorCode.INVALID_VALUE,
            );
          // Updating existing rows follows the row rule: a user's own rows only, unless they manage the table.
          upsert = { columns: onConflict, ownerGuard: rowOwnerScope(actor, meta) };
        }
        const stored = await insertRows(db, meta, rows, upsert);
        if (Array.isArray(body)) return { status: 'rows_inserted', data: stored };
        if (!stored[0])
          throw AppError.conflict('A row with this value already exists and you cannot update it');
        return { status: 'row_inserted', data: stored[0] };
      });
    },

    /** PATCH /tables/{id}/data/{row_id}: admins and the owner any row, others their own (`user_id`). */
    async update(
      actor: Actor | null,
      tableId: string,
      rowId: string,
      idColumn: string,
      body: unknown,
    ): Promise<{ status: 'row_updated'; data: Row }> {
      return withMeta(tableId, async (meta) => {
        const owner = rowOwnerScope(actor, meta);
        assertExists(meta);
        const target = rowTarget(meta, idColumn, rowId, owner);
        if (!isPlainObject(body) || Object.keys(body).length === 0)
          throw AppError.badRequest('No fields to update', ErrorCode.INVALID_VALUE);
        const changes: Row = {};
        for (const [key, value] of Object.entries(body)) {
          changes[key] = toColumnParam(writableColumn(meta, key), value);
          if (owner && key === owner.column && !sameId(changes[key], owner.value))
            throw AppError.forbidden(`You cannot give your rows to another ${owner.column}`);
        }
        const row = await updateRow(db, meta, target, changes);
        if (!row) throw AppError.notFound("Row not found or you don't have permission to update it");
        return { status: 'row_updated', data: row };
      });
    },

    /** DELETE /tables/{id}/data/{row_id}: the same rule as update. */
    async remove(actor: Actor | null, tableId: string, rowId: string, idColumn: string) {
      return withMeta(tableId, async (meta) => {
        const owner = rowOwnerScope(actor, meta);
        assertExists(meta);
        if (!(await deleteRow(db, meta, rowTarget(meta, idColumn, rowId, owner))))
          throw AppError.notFound("Row not found or you don't have permission to delete it");
        return { status: 'row_deleted' as const, table_id: tableId, row_id: rowId };
      });
    },
  };
}

export type RowsService = ReturnType<typeof createRowsService>;
