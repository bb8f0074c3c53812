// Typed helpers for the data API's query parameters (GET /tables/{id}/data): filters in the PostgREST style
// (`price=gte.10`, `tag=in.(a,b)`, `not.` prefix), `order`, `select`, `count`, paging. They only build parameters;
// the server checks every column name and value against the table.

/** The data API's filter operators (docs: GET /tables/{table_id}/data). */
export const FILTER_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export type FilterScalar = string | number | boolean | bigint;

export type Filter =
  | { column: string; op: Exclude<FilterOperator, 'in' | 'is'>; value: FilterScalar; not?: boolean }
  | { column: string; op: 'in'; value: readonly FilterScalar[]; not?: boolean }
  | { column: string; op: 'is'; value: null | boolean | 'unknown'; not?: boolean };

export interface OrderBy {
  column: string;
  ascending?: boolean;
  nulls?: 'first' | 'last';
}

export interface RowQuery {
  page?: number;
  pageSize?: number;
  /** Case-insensitive search over the text columns. */
  search?: string;
  filters?: readonly Filter[];
  order?: readonly OrderBy[];
  /** Columns to return (all by default). */
  select?: readonly string[];
  count?: 'exact' | 'estimated' | 'none';
}

/** Query parameters of GET /tables/{id}/data; a column filtered twice carries both conditions. */
export type RowQueryParams = Record<string, string | string[] | number>;

/** An `in.(...)` item: quoted when it holds a comma, quote, parenthesis, backslash or outer space. */
function listItem(value: FilterScalar): string {
  const text = String(value);
  if (text === '' || /[,"()\\]/.test(text) || text.trim() !== text) {
    return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  }
  return text;
}

/** One filter's parameter value: `gte.10`, `not.in.(a,"b,c")`, `is.null`. */
export function filterValue(filter: Filter): string {
  const prefix = filter.not ? 'not.' : '';
  switch (filter.op) {
    case 'in':
      return `${prefix}in.(${filter.value.map(listItem).join(',')})`;
    case 'is':
      return `${prefix}is.${filter.value === null ? 'null' : String(filter.value)}`;
    default:
      return `${prefix}${filter.op}.${String(filter.value)}`;
  }
}

/** The `order` parameter: `a.desc,b.asc.nullslast`. */
export function orderValue(order: readonly OrderBy[]): string {
  return order
    .map((o) => `${o.column}.${o.ascending === false ? 'desc' : 'asc'}${o.nulls ? `.nulls${o.nulls}` : ''}`)
    .join(',');
}

/**
 * Builds the query of a data request: `getTableData({ path: { table_id }, query: rowQuery({...}) })`. Column names
 * that collide with page, page_size, search, order, select or count cannot be filtered (the server reads those
 * names as its own parameters).
 */
export function rowQuery(query: RowQuery): RowQueryParams {
  const params: RowQueryParams = {};
  if (query.page !== undefined) params.page = query.page;
  if (query.pageSize !== undefined) params.page_size = query.pageSize;
  if (query.search) params.search = query.search;
  if (query.order?.length) params.order = orderValue(query.order);
  if (query.select?.length) params.select = query.select.join(',');
  if (query.count) params.count = query.count;
  for (const filter of query.filters ?? []) {
    if (RESERVED.has(filter.column))
      throw new Error(`cannot filter on '${filter.column}': a reserved parameter`);
    const existing = params[filter.column];
    const value = filterValue(filter);
    if (existing === undefined) params[filter.column] = value;
    else params[filter.column] = [...(Array.isArray(existing) ? existing : [String(existing)]), value];
  }
  return params;
}

const RESERVED = new Set([
  'page',
  'page_size',
  'search',
  'sort_by',
  'sort_order',
  'order',
  'select',
  'count',
]);
