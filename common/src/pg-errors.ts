import { AppError, ErrorCode } from './errors.ts';

/** The SQLSTATEs SelfDB's code tells apart by name (Postgres's appendix A); the mapping below covers the rest. */
export const SqlState = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  NOT_NULL_VIOLATION: '23502',
  UNDEFINED_TABLE: '42P01',
  UNDEFINED_COLUMN: '42703',
  DUPLICATE_TABLE: '42P07',
  DUPLICATE_COLUMN: '42701',
  INSUFFICIENT_PRIVILEGE: '42501',
  QUERY_CANCELED: '57014',
  READ_ONLY_SQL_TRANSACTION: '25006',
  INVALID_CATALOG_NAME: '3D000',
  INVALID_TEXT_REPRESENTATION: '22P02',
  UNTRANSLATABLE_CHARACTER: '22P05',
} as const;

export type SqlState = (typeof SqlState)[keyof typeof SqlState];

/** The SQLSTATE of a Postgres error (null for anything else). */
export function sqlStateOf(error: unknown): string | null {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : null;
}

/** Whether `error` is a Postgres error with one of these SQLSTATEs. */
export function hasSqlState(error: unknown, ...states: SqlState[]): boolean {
  const code = sqlStateOf(error);
  return code !== null && (states as string[]).includes(code);
}

/** The message every service answers (503 DATABASE_UNAVAILABLE) when Postgres cannot be reached. */
export const DATABASE_UNAVAILABLE_MESSAGE = 'Database unavailable, try again shortly';

const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE']);

interface PgError {
  code?: unknown;
  message?: string;
  detail?: string;
  column?: string;
}

export interface PgErrorOptions {
  /**
   * Add Postgres's own words (the column, type, constraint or key at fault) to the fixed message. Only for
   * statements whose every object the caller may know about (their tables' data and DDL); elsewhere a key value or
   * constraint name could tell about someone else's records.
   */
  verbose?: boolean;
}

/**
 * The one mapping of Postgres (and pg driver) errors to what a client sees, used by the backend's error handler for
 * every route and by the services that want a table's own words (`verbose`). A value Postgres refuses (SQLSTATE class 22:
 * NUL byte 22021, unsupported Unicode escape in jsonb 22P05, bad date, number out of range, …; constraint checks)
 * is a 400, never a 500. Null when the error is not a database error the client can be told about.
 */
export function toPgAppError(error: unknown, options: PgErrorOptions = {}): AppError | null {
  const err = (typeof error === 'object' && error !== null ? error : {}) as PgError;
  const unavailable = () => new AppError(503, ErrorCode.DATABASE_UNAVAILABLE, DATABASE_UNAVAILABLE_MESSAGE);
  if (/timeout exceeded when trying to connect|Connection terminated/i.test(err.message ?? ''))
    return unavailable();
  const { code } = err;
  if (typeof code !== 'string') return null;
  const verbose = options.verbose === true;
  const message = err.message ?? '';
  const withDetail = (fixed: string) =>
    verbose && message ? (err.detail ? `${message}: ${err.detail}` : message) : fixed;
  const invalidValue = () =>
    AppError.badRequest(
      withDetail('Invalid value for the column type or constraint'),
      ErrorCode.INVALID_VALUE,
    );
  switch (code) {
    case SqlState.UNIQUE_VIOLATION:
      return AppError.conflict(
        `A record with this value already exists${verbose && err.detail ? `: ${err.detail}` : ''}`,
      );
    case SqlState.FOREIGN_KEY_VIOLATION:
      return AppError.conflict(
        withDetail('The record is referenced by, or refers to, a missing record'),
        ErrorCode.FOREIGN_KEY_VIOLATION,
      );
    case SqlState.NOT_NULL_VIOLATION:
      return AppError.badRequest(
        verbose && err.column
          ? `Column '${err.column}' must not be null`
          : 'Invalid value for the column type or constraint',
        ErrorCode.INVALID_VALUE,
      );
    // Checks, mismatched types (also a column retype Postgres cannot cast, 42846), and program limits a value can
    // reach: array dimensions (54000), nesting Postgres's parsers recurse on (54001).
    case '23514':
    case '42804':
    case '42846':
    case '428C9':
    case '54000':
    case '54001':
      return invalidValue();
    case '42P10':
      return AppError.badRequest(
        'on_conflict must name the columns of a primary key or unique constraint',
        ErrorCode.INVALID_FILTER,
      );
    case SqlState.UNDEFINED_TABLE:
      return AppError.notFound(verbose ? message : 'Not Found');
    case SqlState.DUPLICATE_TABLE:
      return AppError.conflict(verbose ? message : 'Already exists', ErrorCode.TABLE_EXISTS);
    case SqlState.DUPLICATE_COLUMN:
      return AppError.conflict(verbose ? message : 'Already exists', ErrorCode.COLUMN_EXISTS);
    case '2BP01':
      return AppError.conflict(withDetail('Other objects depend on it'), ErrorCode.DEPENDENT_OBJECTS);
    case '55P03':
      return AppError.conflict(
        'The table is in use by another statement; try again shortly',
        ErrorCode.TABLE_BUSY,
      );
    case '42P16':
    case '54011':
      return AppError.badRequest(verbose ? message : 'Invalid table definition');
    case SqlState.INSUFFICIENT_PRIVILEGE:
      return AppError.forbidden('Permission denied');
    case SqlState.QUERY_CANCELED:
      return new AppError(504, ErrorCode.QUERY_TIMEOUT, 'The query took too long and was cancelled');
    case '57P01':
    case '57P03':
    case '08000':
    case '08003':
    case '08006':
      return unavailable();
    default:
      if (CONNECTION_FAILURES.has(code)) return unavailable();
      // Class 22, data exception: a value the column type refuses (NUL byte, bad Unicode escape, bad date, number
      // out of range, malformed array or JSON, string too long).
      return code.startsWith('22') ? invalidValue() : null;
  }
}
