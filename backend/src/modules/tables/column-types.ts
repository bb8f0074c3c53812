import { AppError, ErrorCode, preview } from '@selfdb/common';

/** How values of a column are checked and passed: the element kind for array columns. */
export type ValueKind =
  'text' | 'integer' | 'bigint' | 'number' | 'boolean' | 'uuid' | 'json' | 'date' | 'timestamp' | 'other';

export interface ColumnType {
  /** The Postgres type as it goes into DDL; built only from the allowlist below, never from request text. */
  sql: string;
  kind: ValueKind;
  array: boolean;
  /** varchar(n): the most characters a value may have. */
  maxLength?: number;
}

type Base = Omit<ColumnType, 'array'>;

// SelfDB 0.0.5's spellings and mappings (TEXT, STRING→VARCHAR(255), DECIMAL→DECIMAL(10,2), FLOAT→DOUBLE PRECISION,
// TIMESTAMP|DATETIME→TIMESTAMPTZ, JSON→JSONB, ...) plus the usual Postgres names of the same types.
const PLAIN: Record<string, Base> = {
  text: { sql: 'text', kind: 'text' },
  string: { sql: 'varchar(255)', kind: 'text', maxLength: 255 },
  varchar: { sql: 'varchar(255)', kind: 'text', maxLength: 255 },
  'character varying': { sql: 'varchar(255)', kind: 'text', maxLength: 255 },
  integer: { sql: 'integer', kind: 'integer' },
  int: { sql: 'integer', kind: 'integer' },
  int4: { sql: 'integer', kind: 'integer' },
  bigint: { sql: 'bigint', kind: 'bigint' },
  int8: { sql: 'bigint', kind: 'bigint' },
  decimal: { sql: 'numeric(10,2)', kind: 'number' },
  numeric: { sql: 'numeric', kind: 'number' },
  float: { sql: 'double precision', kind: 'number' },
  float8: { sql: 'double precision', kind: 'number' },
  'double precision': { sql: 'double precision', kind: 'number' },
  boolean: { sql: 'boolean', kind: 'boolean' },
  bool: { sql: 'boolean', kind: 'boolean' },
  date: { sql: 'date', kind: 'date' },
  timestamp: { sql: 'timestamptz', kind: 'timestamp' },
  datetime: { sql: 'timestamptz', kind: 'timestamp' },
  timestamptz: { sql: 'timestamptz', kind: 'timestamp' },
  'timestamp with time zone': { sql: 'timestamptz', kind: 'timestamp' },
  json: { sql: 'jsonb', kind: 'json' },
  jsonb: { sql: 'jsonb', kind: 'json' },
  uuid: { sql: 'uuid', kind: 'uuid' },
};

const MAX_VARCHAR = 10_485_760;
const MAX_NUMERIC_PRECISION = 1000;

export const ALLOWED_TYPES_HINT =
  'text, string, varchar, varchar(n), integer, int, bigint, decimal, numeric, numeric(p,s), float, ' +
  'double precision, boolean, bool, date, timestamp, datetime, timestamptz, json, jsonb, uuid, or any of them ' +
  'followed by [] for an array';

function parseBase(spelling: string): Base | null {
  const plain = PLAIN[spelling];
  if (plain) return plain;
  const varchar = /^(?:varchar|character varying)\((\d{1,8})\)$/.exec(spelling);
  if (varchar) {
    const n = Number(varchar[1]);
    return n >= 1 && n <= MAX_VARCHAR ? { sql: `varchar(${n})`, kind: 'text', maxLength: n } : null;
  }
  const numeric = /^(?:numeric|decimal)\((\d{1,4})(?:,(\d{1,4}))?\)$/.exec(spelling);
  if (numeric) {
    const precision = Number(numeric[1]);
    const scale = Number(numeric[2] ?? 0);
    if (precision < 1 || precision > MAX_NUMERIC_PRECISION || scale > precision) return null;
    return { sql: `numeric(${precision},${scale})`, kind: 'number' };
  }
  return null;
}

/**
 * Reads a column type as clients write it (any letter case, extra spaces, `[]` for arrays) and returns its
 * allowlisted Postgres type. Throws 400 `INVALID_COLUMN_TYPE` for anything else, so no request text reaches DDL.
 */
export function parseColumnType(input: unknown, column: string): ColumnType {
  const fail = () =>
    AppError.badRequest(
      `Unsupported type '${preview(input)}' for column '${column}': use ${ALLOWED_TYPES_HINT}`,
      ErrorCode.INVALID_COLUMN_TYPE,
    );
  if (typeof input !== 'string' || input.length > 100) throw fail();
  let spelling = input
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),[\]])\s*/g, '$1');
  const array = spelling.endsWith('[]');
  if (array) spelling = spelling.slice(0, -2);
  const base = parseBase(spelling);
  if (!base) throw fail();
  return { ...base, sql: array ? `${base.sql}[]` : base.sql, array };
}

/** The kind of a column as the catalog describes it (`pg_type.typname` of the element type). */
export function kindOfCatalogType(typname: string): ValueKind {
  switch (typname) {
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'citext':
      return 'text';
    case 'int2':
    case 'int4':
      return 'integer';
    case 'int8':
      return 'bigint';
    case 'numeric':
    case 'float4':
    case 'float8':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'uuid':
      return 'uuid';
    case 'json':
    case 'jsonb':
      return 'json';
    case 'date':
      return 'date';
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp';
    default:
      return 'other';
  }
}
