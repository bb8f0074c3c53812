import {
  AppError,
  ErrorCode,
  ERRORS,
  type FilterIsValue,
  type FilterOperator,
  parseFilterCondition,
  preview,
} from '@selfdb/common';
import type { MetaColumn, TableMeta } from './table-meta.ts';
import { toFilterParam } from './values.ts';

/** One checked column filter: the column exists, the operator is known, the value fits (and is bound). */
export type RowFilter =
  | {
      column: string;
      op: Exclude<FilterOperator, 'is' | 'in'>;
      negate: boolean;
      value: unknown;
      cast: boolean;
    }
  | { column: string; op: 'in'; negate: boolean; values: unknown[] }
  | { column: string; op: 'is'; negate: boolean; value: FilterIsValue };

export interface RowOrder {
  column: string;
  desc: boolean;
  nulls?: 'first' | 'last';
}

export type CountMode = 'exact' | 'estimated' | 'none';

/** A data query, checked against the table: every name in it is a column of the table. */
export interface RowQuery {
  /** null: every column. */
  columns: string[] | null;
  filters: RowFilter[];
  search: string | null;
  order: RowOrder[];
  limit: number;
  offset: number;
  count: CountMode;
}

/** The upstream parameters plus the PostgREST-style ones; any other key must be a column (a filter). */
export interface DataQueryInput {
  page?: number;
  page_size?: number;
  search?: string | null;
  sort_by?: string | null;
  sort_order?: 'asc' | 'desc';
  order?: unknown;
  select?: unknown;
  count?: unknown;
  [filter: string]: unknown;
}

export const DATA_QUERY_KEYS = new Set([
  'page',
  'page_size',
  'search',
  'sort_by',
  'sort_order',
  'order',
  'select',
  'count',
]);
const MAX_FILTERS = 50;

function single(name: string, value: unknown): string {
  if (typeof value !== 'string')
    throw ERRORS.invalidFilter(`Query parameter '${name}' may be given only once`);
  return value;
}

/** The condition's syntax is common's (shared with realtime filters); its values are checked against the column. */
function parseFilter(column: MetaColumn, raw: string): RowFilter {
  const condition = parseFilterCondition(column.name, raw);
  const name = column.name;
  switch (condition.op) {
    case 'is':
      return { column: name, ...condition };
    case 'in':
      return { column: name, ...condition, values: condition.values.map((v) => toFilterParam(column, v)) };
    case 'like':
    case 'ilike':
      return { column: name, ...condition, cast: column.kind !== 'text' };
    default:
      return { column: name, ...condition, value: toFilterParam(column, condition.value), cast: false };
  }
}

function parseOrder(meta: TableMeta, text: string): RowOrder[] {
  return text.split(',').map((item) => {
    const [name = '', ...modifiers] = item.trim().split('.');
    column(meta, name, 'order');
    const order: RowOrder = { column: name, desc: false };
    for (const modifier of modifiers) {
      if (modifier === 'asc' || modifier === 'desc') order.desc = modifier === 'desc';
      else if (modifier === 'nullsfirst' || modifier === 'nullslast')
        order.nulls = modifier === 'nullsfirst' ? 'first' : 'last';
      else
        throw ERRORS.invalidFilter(
          `Invalid order ${preview(item)}: use column[.asc|.desc][.nullsfirst|.nullslast]`,
        );
    }
    return order;
  });
}

function column(meta: TableMeta, name: string, what: string): MetaColumn {
  const found = meta.columns.get(name);
  if (!found)
    throw AppError.badRequest(
      `Invalid ${what} column: '${preview(name)}'. Valid columns: ${meta.columnNames.join(', ')}`,
      ErrorCode.UNKNOWN_COLUMN,
    );
  return found;
}

/**
 * Checks a data query against the table and returns it in a form the repository can render with quoted names and
 * bound values only. Unknown parameters answer 400 `Unknown query parameters: …` as upstream, unless they name a
 * column, which makes them filters.
 */
export function parseDataQuery(meta: TableMeta, input: DataQueryInput): RowQuery {
  const unknown = Object.keys(input).filter((key) => !DATA_QUERY_KEYS.has(key) && !meta.columns.has(key));
  if (unknown.length)
    throw AppError.badRequest(
      `Unknown query parameters: ${unknown.map((k) => preview(k)).join(', ')}`,
      ErrorCode.UNKNOWN_QUERY_PARAMETER,
    );
  const filters: RowFilter[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (DATA_QUERY_KEYS.has(key)) continue;
    for (const raw of Array.isArray(value) ? value : [value]) {
      filters.push(parseFilter(meta.columns.get(key)!, String(raw)));
    }
  }
  if (filters.length > MAX_FILTERS) throw ERRORS.invalidFilter(`At most ${MAX_FILTERS} filters per query`);

  let order: RowOrder[] = [];
  if (input.order !== undefined && input.sort_by)
    throw ERRORS.invalidFilter('Use either order or sort_by, not both');
  if (input.order !== undefined) order = parseOrder(meta, single('order', input.order));
  else if (input.sort_by) {
    if (!meta.columns.has(input.sort_by))
      throw AppError.badRequest(
        `Invalid sort_by column: '${preview(input.sort_by)}'. Valid columns: ${meta.columnNames.join(', ')}`,
        ErrorCode.UNKNOWN_COLUMN,
      );
    order = [{ column: input.sort_by, desc: (input.sort_order ?? 'desc') === 'desc' }];
  }

  let columns: string[] | null = null;
  if (input.select !== undefined) {
    const text = single('select', input.select).trim();
    if (text !== '*') {
      columns = [...new Set(text.split(',').map((name) => column(meta, name.trim(), 'select').name))];
    }
  }

  const count = input.count === undefined ? 'exact' : single('count', input.count);
  if (count !== 'exact' && count !== 'estimated' && count !== 'none')
    throw ERRORS.invalidFilter(`Invalid count ${preview(count)}: use exact, estimated or none`);

  const pageSize = input.page_size ?? 100;
  const page = input.page ?? 1;
  return {
    columns,
    filters,
    search: input.search ? input.search : null,
    order,
    limit: pageSize,
    offset: (page - 1) * pageSize,
    count,
  };
}
