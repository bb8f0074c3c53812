export {
  ConfigError,
  createEnvReader,
  type EnvReader,
  freeze,
  postgresUrl,
  readJwtSecret,
  readMetricsToken,
} from './config.ts';
export { closeOnSignals } from './shutdown.ts';
export { DB_ROLES, passwordOf, withDatabaseUser } from './db-roles.ts';
export {
  createPool,
  type Pool,
  type PoolClient,
  type PoolOptions,
  type Queryable,
  withTransaction,
} from './db.ts';
export { AppError, ErrorCode, preview } from './errors.ts';
export {
  type AccessClaims,
  createJwtKey,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  type Role,
  signAccessToken,
  type VerifiedClaims,
  verifyAccessToken,
} from './jwt.ts';
export { type ApiKeyFailure, apiKeyDigest, checkApiKey } from './api-key.ts';
export {
  answerClientError,
  checkWebSocketRequest,
  MALFORMED_URL,
  refuseUpgrade,
  requestUrl,
  type UpgradeRefusal,
} from './upgrade.ts';
export { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.ts';
export { SECURITY_HEADERS, STRICT_CSP } from './security-headers.ts';
export {
  addressLimitKey,
  CLIENT_ADDRESS_HEADER,
  CLIENT_ADDRESS_SIGNATURE_HEADER,
  requestClientAddress,
  signClientAddress,
  verifyClientAddress,
} from './client-address.ts';
export { createLoggerOptions, REDACT_PATHS } from './logger.ts';
export { type Actor, canManage, canRead, canWriteContent, isAdmin, type OwnedResource } from './access.ts';
export {
  BUCKET_NAME_PATTERN,
  isValidBucketName,
  MAX_OBJECT_PATH_LENGTH,
  numberedPath,
  numberingParts,
  objectName,
  objectPathProblem,
  RESERVED_NAME_PREFIX,
  STORAGE_KEY_HEADER,
  storageServiceKey,
  type NewUpload,
  type StoredObject,
  type UploadState,
} from './storage.ts';
export { errnoCode, syncDirectory } from './fs.ts';
export { drainAfterResponse, feed } from './streams.ts';
export {
  assertWithinLimit,
  type ByteLimit,
  ByteMeter,
  type ByteMeterOptions,
  CONTENT_SHA256_HEADER,
  parseContentSha256,
} from './upload-policy.ts';
export {
  type ByteRange,
  contentRange,
  noneMatch,
  parseRange,
  type RangeRequest,
  rangeStillValid,
} from './http-conditions.ts';
export {
  type FilterCondition,
  type FilterIsValue,
  type FilterOperator,
  parseFilterCondition,
} from './row-filter.ts';
export {
  FUNCTION_NAME_PATTERN,
  FUNCTIONS_KEY_HEADER,
  type FunctionTrigger,
  functionsServiceKey,
  type RuntimeDeployRequest,
  type RuntimeDeployResult,
  type RuntimeHttpRequest,
  type RuntimeLogLine,
  type RuntimeRunRequest,
  type RuntimeRunResult,
} from './functions.ts';
export {
  CHANGE_COLUMNS,
  type ChangeRow,
  type ChangesRead,
  isRunningIn,
  type Operation,
  readChangesAfter,
  readHead,
  type Snapshot,
  widenXid,
} from './outbox.ts';
export { ChangeFeed, type ChangeFeedOptions } from './change-feed.ts';
export {
  BOOKKEEPING_TABLES,
  CAPTURED_SELFDB_TABLES,
  CONSOLE_READ_ONLY_TABLES,
  SELFDB_PUBLIC_TABLES,
  SELFDB_SCHEMAS,
  SELFDB_TABLES,
} from './selfdb-tables.ts';
export {
  IDENTIFIER_PATTERN,
  isPlainIdentifier,
  isTableName,
  MAX_IDENTIFIER_LENGTH,
  TABLE_NAME_PATTERN,
  TABLE_NAME_PATTERN_SOURCE,
} from './identifiers.ts';
export {
  DATABASE_UNAVAILABLE_MESSAGE,
  hasSqlState,
  type PgErrorOptions,
  SqlState,
  sqlStateOf,
  toPgAppError,
} from './pg-errors.ts';
export {
  type ErrorAnswer,
  type ErrorBody,
  type ErrorReply,
  NOT_FOUND_BODY,
  renderError,
  type RenderErrorOptions,
  sendError,
  STATUS_ERROR_CODES,
} from './error-response.ts';
export { ERRORS } from './error-catalogue.ts';
export {
  addPoolMetrics,
  addReadCounter,
  addReadGauge,
  createMetricsGuard,
  createServiceMetrics,
  type MetricsAccess,
  METRICS_PATH,
  type PoolCounts,
  type ServiceMetrics,
  UNMATCHED_ROUTE,
} from './metrics.ts';
export { installMetrics } from './metrics-fastify.ts';
