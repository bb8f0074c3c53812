import { AppError, ErrorCode, preview } from './errors.ts';

/**
 * The PostgREST-style condition of a column filter (`eq.open`, `not.in.(a,"b,c")`, `is.null`), as the table data
 * API takes it in `?column=<condition>` and a realtime join in `{"filter": "column=<condition>"}`. One parser, so
 * the two accept the same text and read it the same way; what a condition means for a column's type (SQL for the
 * data API, an in-memory test for realtime) stays with each service.
 */
export type FilterOperator = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'in' | 'is';
export type FilterIsValue = 'null' | 'true' | 'false' | 'unknown';

/** A parsed condition; values are still text, to be checked against the column's type by the caller. */
export type FilterCondition =
  | { op: Exclude<FilterOperator, 'in' | 'is'>; negate: boolean; value: string }
  | { op: 'in'; negate: boolean; values: string[] }
  | { op: 'is'; negate: boolean; value: FilterIsValue };

export interface FilterConditionLimits {
  /** Most values an `in.(…)` list may hold; the data API's 1000 unless the caller documents another. */
  maxInValues?: number;
}

const OPERATORS: ReadonlySet<string> = new Set<FilterOperator>([
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
const IS_VALUES: ReadonlySet<string> = new Set<FilterIsValue>(['null', 'true', 'false', 'unknown']);
const DEFAULT_MAX_IN_VALUES = 1000;
// A value between quotes, with `\` escaping the next character, or a bare value up to the next comma.
const LIST_ITEM = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(,|$)/y;

const bad = (message: string) => AppError.badRequest(message, ErrorCode.INVALID_FILTER);

/** `(a,b,"c,d")` → ['a', 'b', 'c,d']: PostgREST's list syntax; `()` is the empty list. */
function parseInList(text: string, column: string, maxValues: number): string[] {
  if (!text.startsWith('(') || !text.endsWith(')'))
    throw bad(`Filter on '${column}': in. takes a list in parentheses, e.g. in.(a,b)`);
  const body = text.slice(1, -1);
  if (body === '') return [];
  const values: string[] = [];
  let index = 0;
  while (index <= body.length) {
    LIST_ITEM.lastIndex = index;
    const match = LIST_ITEM.exec(body);
    if (!match) throw bad(`Filter on '${column}': malformed list ${preview(text)}`);
    values.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!.trim());
    if (values.length > maxValues) throw bad(`Filter on '${column}': at most ${maxValues} values`);
    if (match[3] === '') break;
    index = LIST_ITEM.lastIndex;
  }
  return values;
}

/**
 * Parses `[not.]<operator>.<value>` for `column` (named in messages). Throws 400 `INVALID_FILTER` for an unknown
 * operator, an `is.` value other than null/true/false/unknown, or a bad `in.` list. `like`/`ilike` patterns come
 * back with PostgREST's `*` (which needs no URL encoding) turned into `%`.
 */
export function parseFilterCondition(
  column: string,
  text: string,
  limits: FilterConditionLimits = {},
): FilterCondition {
  let rest = text;
  let negate = false;
  if (rest.startsWith('not.')) {
    negate = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf('.');
  const op = dot < 0 ? rest : rest.slice(0, dot);
  if (dot < 0 || !OPERATORS.has(op))
    throw bad(
      `Invalid filter on '${column}': ${preview(text)}. Use <operator>.<value> with eq, neq, gt, gte, lt, ` +
        'lte, like, ilike, in or is (optionally prefixed by not.)',
    );
  const value = rest.slice(dot + 1);
  if (op === 'is') {
    if (!IS_VALUES.has(value)) throw bad(`Filter on '${column}': is. takes null, true, false or unknown`);
    return { op, negate, value: value as FilterIsValue };
  }
  if (op === 'in') {
    return { op, negate, values: parseInList(value, column, limits.maxInValues ?? DEFAULT_MAX_IN_VALUES) };
  }
  if (op === 'like' || op === 'ilike') return { op, negate, value: value.replace(/\*/g, '%') };
  return { op: op as Exclude<FilterOperator, 'in' | 'is'>, negate, value };
}
