import { AppError, ERRORS } from '@selfdb/common';
import type { ColumnType } from './column-types.ts';
import { quoteLiteral } from './identifiers.ts';
import { toColumnParam } from './values.ts';

/** A column default, checked: one of a few known functions, or a literal of the column's type. */
export type DefaultSpec = { kind: 'function'; sql: string } | { kind: 'literal'; value: string };

// The only expressions a default may be besides a literal, with the value kinds they suit.
const FUNCTIONS: Record<string, { sql: string; kinds: ReadonlyArray<ColumnType['kind']> }> = {
  'now()': { sql: 'now()', kinds: ['timestamp', 'date', 'text'] },
  current_timestamp: { sql: 'CURRENT_TIMESTAMP', kinds: ['timestamp', 'date', 'text'] },
  'gen_random_uuid()': { sql: 'gen_random_uuid()', kinds: ['uuid', 'text'] },
};

/** `'it''s'` or `'{}'::jsonb` as upstream clients wrote SQL literals: the text inside the quotes. */
function unquoteSqlLiteral(text: string): string | null {
  const match = /^'((?:[^']|'')*)'(?:\s*::\s*[a-z ]+(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?)?$/i.exec(text);
  return match ? match[1]!.replace(/''/g, "'") : null;
}

/**
 * Reads a default as clients send it. SelfDB 0.0.5 took raw SQL here, so besides plain values this accepts a quoted
 * SQL literal (`'active'`, `'{}'::jsonb`) and `now()`, `current_timestamp`, `gen_random_uuid()` in any case; `null`
 * or `NULL` means no default. Everything else is a literal, checked against the column's type. Throws 400
 * `INVALID_DEFAULT`.
 */
export function parseDefault(raw: unknown, column: string, type: ColumnType): DefaultSpec | null {
  if (raw === undefined || raw === null) return null;
  let literal: unknown = raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (/^null$/i.test(text)) return null;
    const fn = FUNCTIONS[text.toLowerCase().replace(/\s+/g, '')];
    if (fn) {
      if (type.array || !fn.kinds.includes(type.kind))
        throw ERRORS.invalidDefault(column, raw, `${fn.sql} does not suit type ${type.sql}`);
      return { kind: 'function', sql: fn.sql };
    }
    literal = unquoteSqlLiteral(text) ?? raw;
  } else if (typeof raw === 'object' && type.kind !== 'json') {
    throw ERRORS.invalidDefault(column, raw, `expected a ${type.sql} value`);
  }
  if (typeof literal === 'string' && literal.length > 10_000)
    throw ERRORS.invalidDefault(column, raw, 'too long');
  let value: unknown;
  try {
    // Strings for JSON columns are JSON text already ('{}'); other JSON values are serialized.
    value =
      type.kind === 'json' && typeof literal === 'string'
        ? literal
        : toColumnParam(
            { name: column, type: type.sql, kind: type.kind, array: type.array, maxLength: type.maxLength },
            literal,
          );
  } catch (err) {
    throw ERRORS.invalidDefault(
      column,
      raw,
      err instanceof AppError ? `not a valid ${type.sql}` : 'unreadable',
    );
  }
  if (Array.isArray(value)) throw ERRORS.invalidDefault(column, raw, 'array defaults are not supported');
  return { kind: 'literal', value: String(value) };
}

/**
 * WARNING: renders a checked default into DDL text (Postgres takes no parameters there): functions from the fixed
 * table above, literals quoted by quoteLiteral and cast to the allowlisted type, so Postgres checks them too.
 */
export function defaultSql(spec: DefaultSpec, type: ColumnType): string {
  return spec.kind === 'function' ? spec.sql : `${quoteLiteral(spec.value)}::${type.sql}`;
}
