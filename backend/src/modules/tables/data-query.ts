import { AppError, ErrorCode } from '@selfdb/common';
import { preview } from './identifiers.ts';
import type { MetaColumn, TableMeta } from './table-meta.ts';
import { toFilterParam } from './values.ts';

export type FilterOperator = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'in' | 'is';
export type IsValue = 'null' | 'true' | 'false' | 'unknown';

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
  | { column: string; op: 'is'; negate: boolean; value: IsValue };

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
const OPERATORS = new Set<FilterOperator>([
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'in',
  'is',
]);
const IS_VALUES = new Set<IsValue>(['null', 'true', 'false', 'unknown']);
const MAX_FILTERS = 50;
const MAX_IN_VALUES = 1000;

const bad = (message: string) => AppError.badRequest(message, ErrorCode.INVALID_FILTER);

function single(name: string, value: unknown): string {
  if (typeof value !== 'string') throw bad(`Query parameter '${name}' may be given only once`);
  return value;
}

/** `(a,b,"c,d")` → ['a', 'b', 'c,d']: PostgREST's list syntax, with double quotes around values holding commas. */
export function parseInList(text: string, column: string): string[] {
  if (!text.startsWith('(') || !text.endsWith(')'))
    throw bad(`Filter on '${column}': in. takes a list in parentheses, e.g. in.(a,b)`);
  const body = text.slice(1, -1);
  if (body === '') return [];
  const values: string[] = [];
  const token = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(,|$)/y;
  let index = 0;
  while (index <= body.length) {
    token.lastIndex = index;
    const match = token.exec(body);
    if (!match) throw bad(`Filter on '${column}': malformed list ${preview(text)}`);
    values.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!.trim());
    if (match[3] === '') break;
    index = token.lastIndex;
  }
  if (values.length > MAX_IN_VALUES) throw bad(`Filter on '${column}': at most ${MAX_IN_VALUES} values`);
  return values;
}

function parseFilter(column: MetaColumn, raw: string): RowFilter {
  let rest = raw;
  let negate = false;
  if (rest.startsWith('not.')) {
    negate = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf('.');
  const op = (dot < 0 ? rest : rest.slice(0, dot)) as FilterOperator;
  if (dot < 0 || !OPERATORS.has(op))
    throw bad(
      `Invalid filter on '${column.name}': ${preview(raw)}. Use <operator>.<value> with eq, neq, gt, gte, lt, ` +
        'lte, like, ilike, in or is (optionally prefixed by not.)',
    );
  const value = rest.slice(dot + 1);
  if (op === 'is') {
    if (!IS_VALUES.has(value as IsValue))
      throw bad(`Filter on '${column.name}': is. takes null, true, false or unknown`);
    return { column: column.name, op, negate, value: value as IsValue };
  }
  if (op === 'in') {
    const values = parseInList(value, column.name).map((v) => toFilterParam(column, v));
    return { column: column.name, op, negate, values };
  }
  if (op === 'like' || op === 'ilike') {
    // PostgREST's `*` wildcard, which needs no URL encoding, is `%`.
    return {
      column: column.name,
      op,
      negate,
      value: value.replace(/\*/g, '%'),
      cast: column.kind !== 'text',
    };
  }
  return { column: column.name, op, negate, value: toFilterParam(column, value), cast: false };
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
      else throw bad(`Invalid order ${preview(item)}: use column[.asc|.desc][.nullsfirst|.nullslast]`);
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
  if (filters.length > MAX_FILTERS) throw bad(`At most ${MAX_FILTERS} filters per query`);

  let order: RowOrder[] = [];
  if (input.order !== undefined && input.sort_by) throw bad('Use either order or sort_by, not both');
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
    throw bad(`Invalid count ${preview(count)}: use exact, estimated or none`);

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
