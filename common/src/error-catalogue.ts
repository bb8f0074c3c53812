// The one catalogue of named error factories (as supabase/storage's `ERRORS.NoSuchBucket(...)`): every AppError a
// service throws for a named situation is made here, so one situation has one status, code and message everywhere.
// `detail` keeps SelfDB 0.0.5's words where it had them.
import { AppError, ErrorCode, preview } from './errors.ts';

const MIB = 1024 * 1024;

export const ERRORS = {
  // Access
  adminRequired: (detail = 'Admin access required') => AppError.forbidden(detail),

  // Users and sessions
  userNotFound: () => AppError.notFound('User not found'),
  emailTaken: () => AppError.conflict('Email already taken', ErrorCode.EMAIL_TAKEN),
  invalidCurrentPassword: (detail: string) => new AppError(400, ErrorCode.INVALID_CURRENT_PASSWORD, detail),
  inactiveUser: () => new AppError(400, ErrorCode.USER_INACTIVE, 'Inactive user'),

  // Tables
  tableNotFound: () => AppError.notFound('Table not found'),
  tableExists: (name: string) => AppError.conflict(`Table '${name}' already exists`, ErrorCode.TABLE_EXISTS),
  invalidIdentifier: (detail: string) => AppError.badRequest(detail, ErrorCode.INVALID_IDENTIFIER),
  /** 400 INVALID_VALUE: a value the column's type refuses, with the column, its type and why. */
  invalidValue: (column: { name: string; type: string }, value: unknown, why = '') =>
    AppError.badRequest(
      `Invalid value for column '${column.name}' (${column.type}): ${preview(value)}${why ? ` (${why})` : ''}`,
      ErrorCode.INVALID_VALUE,
    ),
  invalidDefault: (column: string, raw: unknown, why: string) =>
    AppError.badRequest(
      `Invalid default for column '${column}': ${preview(raw)} (${why})`,
      ErrorCode.INVALID_DEFAULT,
    ),
  invalidFilter: (detail: string) => AppError.badRequest(detail, ErrorCode.INVALID_FILTER),
  invalidTableSchema: (detail: string) => AppError.badRequest(detail, ErrorCode.VALIDATION_FAILED),

  // Storage
  bucketNotFound: () => AppError.notFound('Bucket not found'),
  fileNotFound: () => AppError.notFound('File not found'),
  fileExists: () => new AppError(409, ErrorCode.FILE_EXISTS, 'A file already exists at this path'),
  invalidPath: (detail: string) => new AppError(400, ErrorCode.INVALID_PATH, detail),
  /** 413 FILE_TOO_LARGE: past the bucket's `file_size_limit`, or else the server's maximum. */
  fileTooLarge: (limitBytes: number, fromBucket = false) =>
    new AppError(
      413,
      ErrorCode.FILE_TOO_LARGE,
      fromBucket
        ? `File too large: this bucket takes files up to ${limitBytes} bytes`
        : `File too large: files may be up to ${limitBytes} bytes`,
    ),
  storageQuotaExceeded: (quotaBytes: number) =>
    new AppError(
      413,
      ErrorCode.STORAGE_QUOTA_EXCEEDED,
      `Storage quota exceeded: each user may store up to ${quotaBytes} bytes, and this upload would pass it`,
    ),
  insufficientStorage: (reserveBytes: number) =>
    new AppError(
      507,
      ErrorCode.INSUFFICIENT_STORAGE,
      `Insufficient storage: this upload would leave less than ${Math.round(reserveBytes / MIB)} MiB free on the storage volume (STORAGE_MIN_FREE_MB)`,
    ),
  storageUnavailable: () => new AppError(503, ErrorCode.STORAGE_UNAVAILABLE, 'Storage service unavailable'),
  uploadNotFound: () => AppError.notFound('Upload not found'),
  multipartInvalid: (detail: string) => new AppError(400, ErrorCode.MULTIPART_INVALID, detail),
  clientClosedEarly: () => AppError.badRequest('The client closed the connection before the body ended'),

  // Backups and restores
  backupNotFound: () => AppError.notFound('Backup file not found', ErrorCode.BACKUP_NOT_FOUND),
  backupInProgress: () =>
    AppError.conflict(
      'A backup or restore is already running; try again when it has finished',
      ErrorCode.BACKUP_IN_PROGRESS,
    ),
  restoreNotAllowed: () =>
    AppError.forbidden(
      'System is already initialized. Restore is only available on fresh installs.',
      ErrorCode.RESTORE_NOT_ALLOWED,
    ),
  restoreTokenRequired: () =>
    AppError.unauthorized(
      "A restore on a fresh install needs the one-time restore token that ./selfdb.sh start printed (header X-Restore-Token), or an admin's bearer token",
      ErrorCode.RESTORE_TOKEN_REQUIRED,
    ),
  restoreTokenInvalid: () =>
    AppError.unauthorized(
      'The restore token is wrong or was used already; restart SelfDB for a new one (./selfdb.sh restart prints it)',
      ErrorCode.RESTORE_TOKEN_INVALID,
    ),

  // Functions and webhooks
  functionNotFound: () => AppError.notFound('Function not found'),
  functionExists: (name: string) =>
    AppError.conflict(`Function with name '${name}' already exists`, ErrorCode.FUNCTION_EXISTS),
  functionNotRunnable: (name: string) =>
    new AppError(404, ErrorCode.NOT_FOUND, `Function '${name}' not found, inactive or not deployed`),
  webhookNotFound: () => AppError.notFound('Webhook not found'),
  webhookBodyTooLarge: (maxBytes: number) =>
    new AppError(
      413,
      ErrorCode.PAYLOAD_TOO_LARGE,
      `Webhook body too large: at most ${Math.floor(maxBytes / 1024)} KiB`,
    ),
} as const;
