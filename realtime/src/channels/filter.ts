import { AppError, type FilterCondition, isPlainIdentifier, parseFilterCondition } from '@selfdb/common';
import type { ColumnRow } from './access.repository.ts';

/**
 * Row filters of a join (`{"filter": "status=eq.open"}`). The condition after `=` is parsed by the data API's parser
 * (common's parseFilterCondition), so both accept the same operators, `not.`, lists and `is.` values. The column is
 * checked against the table's catalog and the values are converted to the column's type when the channel is
 * joined; the filter is then evaluated in memory on each change's row, with SQL's three-valued logic. No SQL is
 * ever built from it.
 */

type Kind = 'number' | 'string' | 'boolean' | 'uuid' | 'instant';
type Value = number | string | boolean;
/** SQL's truth values: null is UNKNOWN (a comparison with NULL), which neither matches nor does its negation. */
type Truth = boolean | null;

/** A filter the client sent that cannot be used; the message says why and goes back in the join reply. */
export class FilterError extends Error {
  override name = 'FilterError';
}

export interface RowFilter {
  /** The filter as the client wrote it (echoed in the join reply). */
  readonly text: string;
  matches(row: Record<string, unknown> | null): boolean;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_FILTER_LENGTH = 1000;
// The data API takes 1000; a join is one small WebSocket frame (docs/realtime-protocol.md, Limits).
const MAX_IN_VALUES = 100;
const ORDERED: ReadonlySet<Kind> = new Set(['number', 'string', 'instant']);

function kindOf(column: ColumnRow): Kind | null {
  if (column.type === 'uuid') return 'uuid';
  if (column.type === 'money') return null;
  if (column.category === 'N') return 'number';
  if (column.category === 'S') return 'string';
  if (column.category === 'B') return 'boolean';
  if (column.type === 'date' || column.type.startsWith('timestamp')) return 'instant';
  return null;
}

function convert(kind: Kind, text: string, column: string): Value {
  const bad = () => new FilterError(`"${text}" is not a valid value for column ${column} (${kind})`);
  switch (kind) {
    case 'number':
      if (!NUMBER.test(text)) throw bad();
      return Number(text);
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw bad();
      return text === 'true';
    case 'uuid':
      if (!UUID.test(text)) throw bad();
      return text.toLowerCase();
    case 'instant': {
      const ms = Date.parse(text);
      if (!Number.isFinite(ms)) throw bad();
      return ms;
    }
    default:
      return text;
  }
}

/** A row's JSON value as the filter compares it; undefined for NULL or a value of another shape. */
function rowValue(kind: Kind, value: unknown): Value | undefined {
  if (value === null || value === undefined) return undefined;
  switch (kind) {
    case 'number':
      return typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'uuid':
      return typeof value === 'string' ? value.toLowerCase() : undefined;
    case 'instant': {
      const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      return Number.isFinite(ms) ? ms : undefined;
    }
    default:
      return typeof value === 'string' ? value : undefined;
  }
}

/** SQL LIKE (`%`, `_`; `\` escapes) as an anchored regular expression. The parser already made `*` a `%`. */
function likePattern(pattern: string, ignoreCase: boolean): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length)
      source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (char === '%') source += '[\\s\\S]*';
    else if (char === '_') source += '[\\s\\S]';
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
}

function comparator(
  condition: FilterCondition,
  kind: Kind,
  column: string,
): (value: Value | undefined) => Truth {
  switch (condition.op) {
    case 'is': {
      const wanted = condition.value;
      if (wanted === 'null') return (value) => value === undefined;
      if (kind !== 'boolean')
        throw new FilterError(`is.${wanted} needs a boolean column; ${column} is not one`);
      // IS never answers UNKNOWN: `is.unknown` is true exactly for NULL.
      if (wanted === 'unknown') return (value) => value === undefined;
      return (value) => value === (wanted === 'true');
    }
    case 'in': {
      const set = new Set(condition.values.map((item) => convert(kind, item, column)));
      // `NULL = ANY('{}')` is false, not UNKNOWN: nothing to compare with.
      return (value) => (value === undefined ? (set.size === 0 ? false : null) : set.has(value));
    }
    case 'like':
    case 'ilike': {
      if (kind !== 'string')
        throw new FilterError(`${condition.op} needs a text column; ${column} is not one`);
      const regex = likePattern(condition.value, condition.op === 'ilike');
      return (value) => (typeof value === 'string' ? regex.test(value) : null);
    }
    default: {
      const { op } = condition;
      if (op !== 'eq' && op !== 'neq' && !ORDERED.has(kind)) {
        throw new FilterError(`${op} cannot compare column ${column} (${kind})`);
      }
      const wanted = convert(kind, condition.value, column);
      const tests: Record<typeof op, (value: Value) => boolean> = {
        eq: (value) => value === wanted,
        neq: (value) => value !== wanted,
        gt: (value) => value > wanted,
        gte: (value) => value >= wanted,
        lt: (value) => value < wanted,
        lte: (value) => value <= wanted,
      };
      const test = tests[op];
      return (value) => (value === undefined ? null : test(value));
    }
  }
}

/** Checks a filter's syntax (all of it but the column's type); returns the column it names and its condition. */
export function parseFilter(text: unknown): { column: string; condition: FilterCondition } {
  if (typeof text !== 'string' || text.length === 0) {
    throw new FilterError('filter must be a non-empty string such as "status=eq.open"');
  }
  if (text.length > MAX_FILTER_LENGTH) {
    throw new FilterError(`filter is longer than ${MAX_FILTER_LENGTH} characters`);
  }
  const equals = text.indexOf('=');
  const column = equals < 0 ? '' : text.slice(0, equals);
  if (!isPlainIdentifier(column)) {
    throw new FilterError(
      'filter must look like column=operator.value, with operator one of eq, neq, gt, gte, lt, lte, like, ilike, in, is',
    );
  }
  try {
    return {
      column,
      condition: parseFilterCondition(column, text.slice(equals + 1), { maxInValues: MAX_IN_VALUES }),
    };
  } catch (err) {
    if (err instanceof AppError) throw new FilterError(err.message);
    throw err;
  }
}

/** Builds the filter against the table's columns; throws FilterError for an unknown column or a bad value. */
export function compileFilter(text: string, columns: readonly ColumnRow[]): RowFilter {
  const { column, condition } = parseFilter(text);
  const found = columns.find((candidate) => candidate.name === column);
  if (!found) throw new FilterError(`column ${column} does not exist`);
  const kind = kindOf(found);
  if (!kind) throw new FilterError(`column ${column} has type ${found.type}, which filters cannot compare`);
  const test = comparator(condition, kind, column);
  const wanted = !condition.negate;
  return {
    text,
    matches(row) {
      return row !== null && test(rowValue(kind, row[column])) === wanted;
    },
  };
}
