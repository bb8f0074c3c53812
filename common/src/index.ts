export {
  ConfigError,
  createEnvReader,
  type EnvReader,
  freeze,
  postgresUrl,
  readJwtSecret,
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
