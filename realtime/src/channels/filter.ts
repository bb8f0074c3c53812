import type { ColumnRow } from './access.repository.ts';

/**
 * Row filters of a join (`{"filter": "status=eq.open"}`), with the operators of the data API. The column is checked
 * against the table's catalog and the value is converted to the column's type when the channel is joined; the
 * filter is then evaluated in memory on each change's row. No SQL is ever built from it.
 */
export type FilterOperator = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'in' | 'is';

type Kind = 'number' | 'string' | 'boolean' | 'uuid' | 'instant';
type Value = number | string | boolean;

/** A filter the client sent that cannot be used; the message says why and goes back in the join reply. */
export class FilterError extends Error {
  override name = 'FilterError';
}

export interface RowFilter {
  /** The filter as the client wrote it (echoed in the join reply). */
  readonly text: string;
  matches(row: Record<string, unknown> | null): boolean;
}

const SYNTAX = /^([A-Za-z_][A-Za-z0-9_]{0,62})=(eq|neq|gt|gte|lt|lte|like|ilike|in|is)\.([\s\S]*)$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_FILTER_LENGTH = 1000;
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

/** `(a,b,"c,d")` → ['a', 'b', 'c,d']. */
function splitList(text: string): string[] {
  if (!text.startsWith('(') || !text.endsWith(')')) {
    throw new FilterError('in needs a parenthesized list, e.g. status=in.(open,closed)');
  }
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of text.slice(1, -1)) {
    if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      items.push(current);
      current = '';
    } else current += char;
  }
  if (quoted) throw new FilterError('unbalanced quote in the in list');
  items.push(current);
  if (items.length > MAX_IN_VALUES) throw new FilterError(`in takes at most ${MAX_IN_VALUES} values`);
  return items.map((item) => item.trim());
}

/** SQL LIKE (`%`, `_`, and `*` as PostgREST's alias of `%`; `\` escapes) as an anchored regular expression. */
function likePattern(pattern: string, ignoreCase: boolean): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length)
      source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (char === '%' || char === '*') source += '[\\s\\S]*';
    else if (char === '_') source += '[\\s\\S]';
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
}

function comparator(
  operator: FilterOperator,
  kind: Kind,
  raw: string,
  column: string,
): (value: Value | undefined) => boolean {
  switch (operator) {
    case 'is': {
      if (raw === 'null') return (value) => value === undefined;
      if ((raw === 'true' || raw === 'false') && kind === 'boolean') {
        const wanted = raw === 'true';
        return (value) => value === wanted;
      }
      throw new FilterError(
        kind === 'boolean' ? 'is takes null, true or false' : `is takes null for column ${column}`,
      );
    }
    case 'in': {
      const set = new Set(splitList(raw).map((item) => convert(kind, item, column)));
      return (value) => value !== undefined && set.has(value);
    }
    case 'like':
    case 'ilike': {
      if (kind !== 'string') throw new FilterError(`${operator} needs a text column; ${column} is not one`);
      const regex = likePattern(raw, operator === 'ilike');
      return (value) => typeof value === 'string' && regex.test(value);
    }
    default: {
      if (operator !== 'eq' && operator !== 'neq' && !ORDERED.has(kind)) {
        throw new FilterError(`${operator} cannot compare column ${column} (${kind})`);
      }
      const wanted = convert(kind, raw, column);
      const tests: Record<string, (value: Value) => boolean> = {
        eq: (value) => value === wanted,
        neq: (value) => value !== wanted,
        gt: (value) => value > wanted,
        gte: (value) => value >= wanted,
        lt: (value) => value < wanted,
        lte: (value) => value <= wanted,
      };
      const test = tests[operator]!;
      // SQL semantics: a comparison with NULL is never true (neq included).
      return (value) => value !== undefined && test(value);
    }
  }
}

/** Checks a filter's syntax; returns the column it names (to look the table's columns up). */
export function parseFilter(text: unknown): { column: string; operator: FilterOperator; value: string } {
  if (typeof text !== 'string' || text.length === 0) {
    throw new FilterError('filter must be a non-empty string such as "status=eq.open"');
  }
  if (text.length > MAX_FILTER_LENGTH) {
    throw new FilterError(`filter is longer than ${MAX_FILTER_LENGTH} characters`);
  }
  const match = SYNTAX.exec(text);
  if (!match) {
    throw new FilterError(
      'filter must look like column=operator.value, with operator one of eq, neq, gt, gte, lt, lte, like, ilike, in, is',
    );
  }
  return { column: match[1]!, operator: match[2] as FilterOperator, value: match[3]! };
}

/** Builds the filter against the table's columns; throws FilterError for an unknown column or a bad value. */
export function compileFilter(text: string, columns: readonly ColumnRow[]): RowFilter {
  const { column, operator, value } = parseFilter(text);
  const found = columns.find((candidate) => candidate.name === column);
  if (!found) throw new FilterError(`column ${column} does not exist`);
  const kind = kindOf(found);
  if (!kind) throw new FilterError(`column ${column} has type ${found.type}, which filters cannot compare`);
  const test = comparator(operator, kind, value, column);
  return {
    text,
    matches: (row) => row !== null && test(rowValue(kind, row[column])),
  };
}
