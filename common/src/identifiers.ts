// The one place of SQL identifier rules: the table-name rule of the tables API and the plain-identifier rule every
// service checks names against before quoting them.

/** Postgres truncates longer identifiers silently (NAMEDATALEN - 1), so longer names are refused instead. */
export const MAX_IDENTIFIER_LENGTH = 63;

/** SelfDB 0.0.5's table name rule, as a JSON-schema pattern (the OpenAPI document shows it). */
export const TABLE_NAME_PATTERN_SOURCE = '^[a-z][a-z0-9_]*$';
/** SelfDB 0.0.5's table name rule: a lowercase letter, then lowercase letters, digits and underscores. */
export const TABLE_NAME_PATTERN = new RegExp(TABLE_NAME_PATTERN_SOURCE);
/** A plain SQL identifier (letters, digits, underscores, not starting with a digit): column names, SQL-made tables. */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `name` follows the table name rule and fits in a Postgres identifier. */
export function isTableName(name: string): boolean {
  return name.length <= MAX_IDENTIFIER_LENGTH && TABLE_NAME_PATTERN.test(name);
}

/** Whether `name` is a plain SQL identifier that fits in a Postgres identifier. */
export function isPlainIdentifier(name: string): boolean {
  return name.length <= MAX_IDENTIFIER_LENGTH && IDENTIFIER_PATTERN.test(name);
}
