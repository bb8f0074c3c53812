import {
  AppError,
  ErrorCode,
  ERRORS,
  IDENTIFIER_PATTERN,
  MAX_IDENTIFIER_LENGTH,
  preview,
  SELFDB_PUBLIC_TABLES,
  TABLE_NAME_PATTERN,
} from '@selfdb/common';

export { MAX_IDENTIFIER_LENGTH, TABLE_NAME_PATTERN };
/** New column names: letters, digits and underscores, not starting with a digit (existing columns may differ). */
export const COLUMN_NAME_PATTERN = IDENTIFIER_PATTERN;

// Upstream's reserved table names, the system tables SelfDB keeps in `public` (and the `selfdb_` prefix of its own
// bookkeeping tables), and Postgres's reserved key words
// (pg_get_keywords() categories R and T): quoting would make them legal, but they make every hand-written query a trap.
const RESERVED_TABLE_NAMES = new Set([
  ...['table', 'user', 'users', 'select', 'insert', 'update', 'delete', 'from', 'where'],
  ...SELFDB_PUBLIC_TABLES,
  ...`all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation
column concurrently constraint create cross current_catalog current_date current_role current_schema current_time
current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze
full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit
localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references
returning right session_user similar some symmetric tablesample then to trailing true union unique using variadic
verbose when window with`.split(/\s+/),
]);

/** Columns every Postgres table has already. */
const SYSTEM_COLUMNS = new Set(['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid', 'oid']);

/** Why `name` cannot be a new table's name, or null when it can. */
export function tableNameProblem(name: string): string | null {
  if (name.length === 0 || name.length > MAX_IDENTIFIER_LENGTH)
    return `Table name must be 1 to ${MAX_IDENTIFIER_LENGTH} characters`;
  if (!TABLE_NAME_PATTERN.test(name))
    return `Invalid table name '${name}': use lowercase letters, digits and underscores, starting with a letter`;
  if (RESERVED_TABLE_NAMES.has(name) || name.startsWith('pg_') || name.startsWith('selfdb_'))
    return `Table name '${name}' is reserved`;
  return null;
}

/** Throws 400 (`INVALID_IDENTIFIER`, or `RESERVED_NAME`) unless `name` may name a new table. */
export function assertTableName(name: string): string {
  const problem = tableNameProblem(name);
  if (problem === null) return name;
  throw AppError.badRequest(
    problem,
    problem.endsWith('is reserved') ? ErrorCode.RESERVED_NAME : ErrorCode.INVALID_IDENTIFIER,
  );
}

/** Throws 400 `INVALID_IDENTIFIER` unless `name` may name a new column. */
export function assertColumnName(name: string): string {
  if (name.length === 0 || name.length > MAX_IDENTIFIER_LENGTH)
    throw ERRORS.invalidIdentifier(
      `Column name must be 1 to ${MAX_IDENTIFIER_LENGTH} characters: '${preview(name)}'`,
    );
  if (!COLUMN_NAME_PATTERN.test(name))
    throw ERRORS.invalidIdentifier(
      `Invalid column name '${preview(name)}': use letters, digits and underscores, not starting with a digit`,
    );
  if (SYSTEM_COLUMNS.has(name.toLowerCase()))
    throw AppError.badRequest(`Column name '${name}' is reserved by Postgres`, ErrorCode.RESERVED_NAME);
  // Data queries name their computed total `__selfdb_total`.
  if (name.startsWith('__selfdb'))
    throw AppError.badRequest(`Column names starting with __selfdb are reserved`, ErrorCode.RESERVED_NAME);
  return name;
}

/**
 * WARNING: the only way identifiers enter SQL text. Quotes any string as a Postgres identifier (doubling embedded
 * quotes), so even an unvalidated name cannot break out; callers still validate names against a pattern or the
 * catalog first, so that errors are clear. Refuses NUL, which Postgres cannot store in a name.
 */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw ERRORS.invalidIdentifier('Identifiers cannot contain NUL characters');
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"public"."name"`: user tables always live in the public schema, whatever the search_path says. */
export function quoteTable(name: string): string {
  return `"public".${quoteIdent(name)}`;
}

/**
 * WARNING: for DDL only, where Postgres takes no parameters (column defaults). Quotes a string as a Postgres literal
 * the way quote_literal() does: quotes doubled, and with backslashes doubled under an E'' prefix, so the result reads
 * the same whatever standard_conforming_strings is. Refuses NUL.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0'))
    throw AppError.badRequest('Values cannot contain NUL characters', ErrorCode.INVALID_DEFAULT);
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}
