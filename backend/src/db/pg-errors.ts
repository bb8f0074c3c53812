import { AppError, ErrorCode } from '@selfdb/common';

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
 * The one mapping of Postgres (and pg driver) errors to what a client sees, used by the error handler for every
 * route and by the services that want a table's own words (`verbose`). A value Postgres refuses (SQLSTATE class 22:
 * NUL byte 22021, unsupported Unicode escape in jsonb 22P05, bad date, number out of range, …; constraint checks)
 * is a 400, never a 500. Null when the error is not a database error the client can be told about.
 */
export function toPgAppError(error: unknown, options: PgErrorOptions = {}): AppError | null {
  const err = (typeof error === 'object' && error !== null ? error : {}) as PgError;
  const unavailable = () =>
    new AppError(503, ErrorCode.DATABASE_UNAVAILABLE, 'Database unavailable, try again shortly');
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
    case '23505':
      return AppError.conflict(
        `A record with this value already exists${verbose && err.detail ? `: ${err.detail}` : ''}`,
      );
    case '23503':
      return AppError.conflict(
        withDetail('The record is referenced by, or refers to, a missing record'),
        ErrorCode.FOREIGN_KEY_VIOLATION,
      );
    case '23502':
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
    case '42P01':
      return AppError.notFound(verbose ? message : 'Not Found');
    case '42P07':
      return AppError.conflict(verbose ? message : 'Already exists', ErrorCode.TABLE_EXISTS);
    case '42701':
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
    case '42501':
      return AppError.forbidden('Permission denied');
    case '57014':
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
