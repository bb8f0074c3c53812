import { ConfigError, createEnvReader, freeze, readMetricsToken, storageServiceKey } from '@selfdb/common';

export interface StorageConfig {
  /** Listen address: 127.0.0.1 natively (internal only), 0.0.0.0 inside its container. */
  host: string;
  port: number;
  /** Root of the byte store: `<root>/<bucket name>/<file path>`, the layout backups archive and restore. */
  root: string;
  /** Every request except /health must carry it in `X-Storage-Key` (shared with the backend). */
  serviceKey: string;
  logLevel: string;
  /** METRICS_TOKEN: the Bearer token of `GET /metrics`; null (unset) turns the endpoint off (404). */
  metricsToken: string | null;
  /** Unfinished resumable uploads that received no bytes for this long are deleted. */
  uploadExpiryHours: number;
  /** Free space kept on the volume: writes that would leave less are refused with 507 (STORAGE_MIN_FREE_MB). */
  minFreeBytes: number;
}

/** Reads and validates the storage service's configuration once; throws ConfigError naming the bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<StorageConfig> {
  const read = createEnvReader(env);
  const explicitKey = read.raw('STORAGE_SERVICE_KEY');
  const secretKey = read.raw('SECRET_KEY');
  if (!explicitKey && !secretKey) {
    throw new ConfigError(
      'Missing environment variable SECRET_KEY (or STORAGE_SERVICE_KEY): the storage service needs the secret it shares with the backend',
    );
  }
  if (explicitKey && explicitKey.length < 32) {
    throw new ConfigError('STORAGE_SERVICE_KEY must be at least 32 characters');
  }
  return freeze({
    host: read.string('STORAGE_HOST', '127.0.0.1'),
    port: read.int('STORAGE_INTERNAL_PORT', 9000, { min: 0, max: 65535 }),
    root: read.string('STORAGE_PATH', '/data'),
    serviceKey: storageServiceKey(secretKey ?? '', explicitKey),
    logLevel: read.string('LOG_LEVEL', 'info'),
    metricsToken: readMetricsToken(read),
    uploadExpiryHours: read.int('STORAGE_UPLOAD_EXPIRY_HOURS', 24, { min: 1 }),
    minFreeBytes: read.int('STORAGE_MIN_FREE_MB', 1024, { min: 0, max: 1_000_000_000 }) * 1024 * 1024,
  });
}
