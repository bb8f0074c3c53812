/**
 * Stable error codes. Every 4xx/5xx body is `{detail, code}`; `detail` keeps SelfDB 0.0.5's text, `code` is one of
 * these. docs/ERROR_CODES.md lists them; a test keeps the two in sync.
 */
export const ErrorCode = {
  API_KEY_MISSING: 'API_KEY_MISSING',
  API_KEY_INVALID: 'API_KEY_INVALID',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  BAD_REQUEST: 'BAD_REQUEST',
  UNKNOWN_QUERY_PARAMETER: 'UNKNOWN_QUERY_PARAMETER',
  INVALID_JSON: 'INVALID_JSON',
  JSON_TOO_DEEP: 'JSON_TOO_DEEP',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOT_AUTHENTICATED: 'NOT_AUTHENTICATED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  INVALID_TOKEN: 'INVALID_TOKEN',
  INVALID_REFRESH_TOKEN: 'INVALID_REFRESH_TOKEN',
  REFRESH_TOKEN_REUSED: 'REFRESH_TOKEN_REUSED',
  USER_INACTIVE: 'USER_INACTIVE',
  INVALID_CURRENT_PASSWORD: 'INVALID_CURRENT_PASSWORD',
  SIGNUP_DISABLED: 'SIGNUP_DISABLED',
  FORBIDDEN: 'FORBIDDEN',
  CORS_ORIGIN_NOT_ALLOWED: 'CORS_ORIGIN_NOT_ALLOWED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  URI_TOO_LONG: 'URI_TOO_LONG',
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  CONFLICT: 'CONFLICT',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  LAST_ADMIN: 'LAST_ADMIN',
  FOREIGN_KEY_VIOLATION: 'FOREIGN_KEY_VIOLATION',
  RATE_LIMITED: 'RATE_LIMITED',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  // SQL console (POST /sql/query)
  SQL_ERROR: 'SQL_ERROR',
  SQL_PROHIBITED: 'SQL_PROHIBITED',
  SQL_PROTECTED_TABLE: 'SQL_PROTECTED_TABLE',
  SQL_STATEMENT_NOT_ALLOWED: 'SQL_STATEMENT_NOT_ALLOWED',
  SQL_CONFIRMATION_REQUIRED: 'SQL_CONFIRMATION_REQUIRED',
  SQL_PERMISSION_DENIED: 'SQL_PERMISSION_DENIED',
  // Storage (buckets, files, uploads, signed URLs)
  INVALID_PATH: 'INVALID_PATH',
  BUCKET_EXISTS: 'BUCKET_EXISTS',
  FILE_EXISTS: 'FILE_EXISTS',
  FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  MIME_TYPE_NOT_ALLOWED: 'MIME_TYPE_NOT_ALLOWED',
  RANGE_NOT_SATISFIABLE: 'RANGE_NOT_SATISFIABLE',
  CHECKSUM_MISMATCH: 'CHECKSUM_MISMATCH',
  UPLOAD_OFFSET_MISMATCH: 'UPLOAD_OFFSET_MISMATCH',
  UPLOAD_INCOMPLETE: 'UPLOAD_INCOMPLETE',
  SIGNED_URL_INVALID: 'SIGNED_URL_INVALID',
  SIGNED_URL_EXPIRED: 'SIGNED_URL_EXPIRED',
  STORAGE_KEY_INVALID: 'STORAGE_KEY_INVALID',
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  INSUFFICIENT_STORAGE: 'INSUFFICIENT_STORAGE',
  STORAGE_QUOTA_EXCEEDED: 'STORAGE_QUOTA_EXCEEDED',
  MULTIPART_INVALID: 'MULTIPART_INVALID',
  // Realtime (join replies and the WebSocket proxy)
  INVALID_FILTER: 'INVALID_FILTER',
  TOO_MANY_CHANNELS: 'TOO_MANY_CHANNELS',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  REALTIME_UNAVAILABLE: 'REALTIME_UNAVAILABLE',
  // Tables and rows (/tables; table data filters use INVALID_FILTER too)
  INVALID_IDENTIFIER: 'INVALID_IDENTIFIER',
  RESERVED_NAME: 'RESERVED_NAME',
  INVALID_COLUMN_TYPE: 'INVALID_COLUMN_TYPE',
  INVALID_DEFAULT: 'INVALID_DEFAULT',
  UNKNOWN_COLUMN: 'UNKNOWN_COLUMN',
  INVALID_VALUE: 'INVALID_VALUE',
  TABLE_EXISTS: 'TABLE_EXISTS',
  COLUMN_EXISTS: 'COLUMN_EXISTS',
  DEPENDENT_OBJECTS: 'DEPENDENT_OBJECTS',
  TABLE_BUSY: 'TABLE_BUSY',
  SCHEMA_CHANGE_UNSUPPORTED: 'SCHEMA_CHANGE_UNSUPPORTED',
  PROTECTED_COLUMN: 'PROTECTED_COLUMN',
  // Backups and restores (/backups)
  BACKUP_NOT_FOUND: 'BACKUP_NOT_FOUND',
  BACKUP_IN_PROGRESS: 'BACKUP_IN_PROGRESS',
  BACKUP_FAILED: 'BACKUP_FAILED',
  BACKUP_INVALID: 'BACKUP_INVALID',
  RESTORE_FAILED: 'RESTORE_FAILED',
  RESTORE_NOT_ALLOWED: 'RESTORE_NOT_ALLOWED',
  RESTORE_IN_PROGRESS: 'RESTORE_IN_PROGRESS',
  RESTORE_TOKEN_REQUIRED: 'RESTORE_TOKEN_REQUIRED',
  RESTORE_TOKEN_INVALID: 'RESTORE_TOKEN_INVALID',
  // Functions and the functions runtime (/functions, /webhooks)
  FUNCTIONS_UNAVAILABLE: 'FUNCTIONS_UNAVAILABLE',
  FUNCTIONS_KEY_INVALID: 'FUNCTIONS_KEY_INVALID',
  FUNCTION_INVALID: 'FUNCTION_INVALID',
  FUNCTION_NOT_DEPLOYED: 'FUNCTION_NOT_DEPLOYED',
  FUNCTION_VERSION_MISMATCH: 'FUNCTION_VERSION_MISMATCH',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error meant for the client: rendered by the one error handler as `{detail, code}` with `statusCode`. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  static badRequest(message: string, code: ErrorCode = ErrorCode.BAD_REQUEST) {
    return new AppError(400, code, message);
  }
  static unauthorized(message = 'Could not validate credentials', code: ErrorCode = ErrorCode.INVALID_TOKEN) {
    return new AppError(401, code, message, { 'www-authenticate': 'Bearer' });
  }
  static forbidden(message = 'Not authorized', code: ErrorCode = ErrorCode.FORBIDDEN) {
    return new AppError(403, code, message);
  }
  static notFound(message = 'Not Found', code: ErrorCode = ErrorCode.NOT_FOUND) {
    return new AppError(404, code, message);
  }
  static conflict(message: string, code: ErrorCode = ErrorCode.CONFLICT) {
    return new AppError(409, code, message);
  }
}

/** A short, printable rendering of client input for error messages: control characters replaced, cut at `max`. */
export function preview(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  const clean = text.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
