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
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOT_AUTHENTICATED: 'NOT_AUTHENTICATED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  INVALID_TOKEN: 'INVALID_TOKEN',
  INVALID_REFRESH_TOKEN: 'INVALID_REFRESH_TOKEN',
  REFRESH_TOKEN_REUSED: 'REFRESH_TOKEN_REUSED',
  USER_INACTIVE: 'USER_INACTIVE',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  LAST_ADMIN: 'LAST_ADMIN',
  FOREIGN_KEY_VIOLATION: 'FOREIGN_KEY_VIOLATION',
  RATE_LIMITED: 'RATE_LIMITED',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
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
