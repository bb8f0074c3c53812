import { AppError, ErrorCode, ERRORS, jsonDepthExceeds, MAX_JSON_DEPTH } from '@selfdb/common';
import pg from 'pg';
import type { ValueKind } from './column-types.ts';

/** What value checks need to know about a column. */
export interface ValueColumn {
  name: string;
  kind: ValueKind;
  array: boolean;
  /** Type as the catalog spells it, for messages. */
  type: string;
  maxLength?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^[+-]?\d{1,19}$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d{1,4})?$/i;
const INT4 = { min: -2147483648, max: 2147483647 };
const INT8 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

function checkScalar(column: ValueColumn, value: unknown, fromQuery: boolean): unknown {
  const bad = (why?: string) => ERRORS.invalidValue(column, value, why);
  if (typeof value === 'string' && value.includes('\0')) throw bad('NUL characters are not allowed');
  switch (column.kind) {
    case 'text': {
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (typeof value !== 'string') throw bad('expected a string');
      if (column.maxLength !== undefined && [...value].length > column.maxLength)
        throw bad(`longer than ${column.maxLength} characters`);
      return value;
    }
    case 'integer':
    case 'bigint': {
      const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
      if (typeof text !== 'string' || !INTEGER.test(text)) throw bad('expected an integer');
      const big = BigInt(text);
      const range = column.kind === 'integer' ? INT4 : INT8;
      if (big < BigInt(range.min) || big > BigInt(range.max)) throw bad('out of range');
      return text;
    }
    case 'number': {
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && NUMBER.test(value)) return value;
      throw bad('expected a number');
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad('expected true or false');
    }
    case 'uuid': {
      if (typeof value === 'string' && UUID.test(value)) return value;
      throw bad('expected a UUID');
    }
    case 'json':
      // Query values are JSON text already, held to the body's nesting limit (Postgres's parser recurses too);
      // body values are JSON values that Postgres gets as their text (the body parser checked their depth).
      if (fromQuery && typeof value === 'string' && jsonDepthExceeds(value)) {
        throw AppError.badRequest(
          `Filter value for column '${column.name}' nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
          ErrorCode.JSON_TOO_DEEP,
        );
      }
      return fromQuery ? value : JSON.stringify(value);
    case 'date':
    case 'timestamp':
      // Postgres reads many spellings ('2024-01-31', 'now', ISO with offsets) and names the bad ones itself.
      if (typeof value !== 'string') throw bad('expected a date/time string');
      return value;
    default:
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
      throw bad('expected a string or a number');
  }
}

/**
 * Checks a value from a row body against its column and returns what goes to Postgres as a parameter. Never
 * interpolated: the result is always bound. Throws 400 `INVALID_VALUE` naming the column.
 */
export function toColumnParam(column: ValueColumn, value: unknown): unknown {
  if (value === null) return null;
  if (column.array && column.kind !== 'json') {
    if (!Array.isArray(value)) throw ERRORS.invalidValue(column, value, 'expected an array');
    return value.map((item) => (item === null ? null : checkScalar(column, item, false)));
  }
  if (column.array) {
    if (!Array.isArray(value)) throw ERRORS.invalidValue(column, value, 'expected an array');
    return value.map((item) => JSON.stringify(item));
  }
  return checkScalar(column, value, false);
}

/** Checks a filter value (text from the query string). Array columns take Postgres array text (`{a,b}`). */
export function toFilterParam(column: ValueColumn, value: string): unknown {
  return column.array ? value : checkScalar(column, value, true);
}

// Row values as SelfDB 0.0.5 (psycopg + FastAPI) answered them: numerics as JSON numbers, dates as `YYYY-MM-DD`,
// timestamps as ISO 8601 text with the offset and microseconds kept (a JS Date would drop both).
// text[]: Postgres array text → strings, the base of the array parsers below.
const parseText = (pg.types.getTypeParser as (oid: number) => (value: string) => (string | null)[])(1009);
const isoTimestamp = (value: string) => {
  const iso = value.replace(' ', 'T');
  return /[+-]\d\d$/.test(iso) ? `${iso}:00` : iso;
};
const parseNumber = (value: string) => Number(value);
const arrayOf =
  <T>(parse: (value: string) => T) =>
  (value: string) =>
    parseText(value).map((item) => (item === null ? null : parse(item)));
const identity = (value: string) => value;

const ROW_PARSERS: Record<number, (value: string) => unknown> = {
  1700: parseNumber, // numeric
  1231: arrayOf(parseNumber), // numeric[]
  1016: arrayOf(parseNumber), // int8[]
  1082: identity, // date
  1182: arrayOf(identity), // date[]
  1114: isoTimestamp, // timestamp
  1115: arrayOf(isoTimestamp), // timestamp[]
  1184: isoTimestamp, // timestamptz
  1185: arrayOf(isoTimestamp), // timestamptz[]
};

/** The pg `types` option for queries that return table rows. */
export const ROW_TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    ROW_PARSERS[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};
