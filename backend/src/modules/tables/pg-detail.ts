import { AppError, ErrorCode } from '@selfdb/common';

interface PgError {
  code?: string;
  message?: string;
  detail?: string;
  column?: string;
}

const asPg = (err: unknown): PgError => (typeof err === 'object' && err !== null ? err : {}) as PgError;

/** A query that failed because the cached metadata is stale: the table or a column is gone or renamed. */
export function isStaleMetadataError(err: unknown): boolean {
  const code = asPg(err).code;
  return code === '42P01' || code === '42703';
}

/**
 * Postgres errors of data and DDL statements as clear 4xx answers. Their messages name the type, column, constraint
 * or object at fault, and say nothing a caller allowed to run the statement may not know; anything else is returned
 * unchanged (the error handler maps connection failures, and answers the rest 500).
 */
export function toTableError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const { code, message = '', detail, column } = asPg(err);
  if (typeof code !== 'string') return err;
  const withDetail = detail ? `${message}: ${detail}` : message;
  switch (code) {
    case '23502':
      return AppError.badRequest(
        column ? `Column '${column}' must not be null` : message,
        ErrorCode.INVALID_VALUE,
      );
    case '23505':
      return AppError.conflict(`A row with this value already exists${detail ? `: ${detail}` : ''}`);
    case '23503':
      return AppError.conflict(withDetail, ErrorCode.FOREIGN_KEY_VIOLATION);
    case '23514':
    case '42804':
    case '428C9':
      return AppError.badRequest(withDetail, ErrorCode.INVALID_VALUE);
    case '42P10':
      return AppError.badRequest(
        'on_conflict must name the columns of a primary key or unique constraint',
        ErrorCode.INVALID_FILTER,
      );
    case '42P01':
      return AppError.notFound(message);
    case '42P07':
      return AppError.conflict(message, ErrorCode.TABLE_EXISTS);
    case '42701':
      return AppError.conflict(message, ErrorCode.COLUMN_EXISTS);
    case '2BP01':
      return AppError.conflict(withDetail, ErrorCode.DEPENDENT_OBJECTS);
    case '55P03':
      return AppError.conflict(
        'The table is in use by another statement; try again shortly',
        ErrorCode.TABLE_BUSY,
      );
    case '42P16':
    case '54011':
      return AppError.badRequest(message, ErrorCode.BAD_REQUEST);
    default:
      // Class 22: a value the column type refuses (bad date, number out of range, malformed array or JSON).
      return code.startsWith('22') ? AppError.badRequest(message, ErrorCode.INVALID_VALUE) : err;
  }
}
