import { AppError, ErrorCode } from '@selfdb/common';

const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE']);

/** Maps a Postgres (or pg driver) error to the AppError a client should see; null when it is not one. */
export function toPgAppError(error: unknown): AppError | null {
  const err = error as { code?: string; message?: string };
  const unavailable = () =>
    new AppError(503, ErrorCode.DATABASE_UNAVAILABLE, 'Database unavailable, try again shortly');
  if (/timeout exceeded when trying to connect|Connection terminated/i.test(err?.message ?? ''))
    return unavailable();
  if (typeof err?.code !== 'string') return null;
  switch (err.code) {
    case '23505':
      return AppError.conflict('A record with this value already exists');
    case '23503':
      return AppError.conflict(
        'The record is referenced by, or refers to, a missing record',
        ErrorCode.FOREIGN_KEY_VIOLATION,
      );
    case '23502':
    case '23514':
    case '22P02':
    case '22001':
    case '22003':
    case '22007':
    case '22008':
      return AppError.badRequest('Invalid value for the column type or constraint');
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
      return CONNECTION_FAILURES.has(err.code) ? unavailable() : null;
  }
}
