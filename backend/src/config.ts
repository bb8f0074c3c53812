import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  createEnvReader,
  DB_ROLES,
  freeze,
  functionsServiceKey,
  postgresUrl,
  readJwtSecret,
  readMetricsToken,
  storageServiceKey,
  withDatabaseUser,
} from '@selfdb/common';
import { validate as validateCron } from 'node-cron';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export interface Config {
  version: string;
  appName: string;
  appDescription: string;
  host: string;
  port: number;
  logLevel: string;
  /** METRICS_TOKEN: the Bearer token of `GET /metrics`; null (unset) turns the endpoint off (404). */
  metricsToken: string | null;
  apiKey: string;
  secretKey: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  corsOrigins: string[];
  trustProxy: boolean;
  /** Through PgBouncer (transaction mode), as selfdb_app: every request query. */
  databaseUrl: string;
  /** Straight to Postgres as the superuser (POSTGRES_USER): migrations, backups and restores. */
  directDatabaseUrl: string;
  dbPoolMax: number;
  /** The realtime service (http://host:port) that `/realtime/socket` upgrades are passed to. */
  realtimeUrl: string;
  migrationsDir: string;
  runMigrations: boolean;
  admin: { email: string; password: string; firstName: string; lastName: string };
  rateLimit: {
    windowSeconds: number;
    loginPerAccount: number;
    loginPerAddress: number;
    refreshPerAddress: number;
    /** Anonymous sign-ups (`POST /users/` without an admin token) per client address per window. */
    signupPerAddress: number;
  };
  /** Whether anyone with the API key may sign up (`POST /users/` without a token); admins always create users. */
  allowSignup: boolean;
  /** Dynamic tables (/tables). */
  tables: {
    /** How long a backend trusts its cached table metadata before re-reading it (other processes' changes). */
    metadataTtlMs: number;
  };
  /** Retention of the change-capture outbox (realtime.changes), pruned by the backend's maintenance job. */
  outbox: {
    retentionHours: number;
    retentionMaxRows: number;
    /** Seconds between outbox pruning passes; 0 turns pruning off. */
    pruneIntervalSeconds: number;
  };
  /** The admin SQL console (`POST /sql/query`). */
  sql: {
    /** Per-statement timeout of console scripts (SET LOCAL statement_timeout), in milliseconds. */
    statementTimeoutMs: number;
    /** Rows of the last statement returned at most; a longer result is cut and says so. */
    maxRows: number;
    /**
     * Straight to Postgres as selfdb_console (the superuser with SQL_CONSOLE_SUPERUSER): each script gets a
     * connection of its own, closed after it, so nothing a script leaves in its session reaches anyone else.
     */
    databaseUrl: string;
    /** SQL_CONSOLE_SUPERUSER: the operator gave the console the superuser's rights. */
    superuser: boolean;
  };
  /** The storage service (bytes of files) and how the backend talks to it. */
  storage: {
    /** http://STORAGE_HOST:STORAGE_INTERNAL_PORT */
    url: string;
    /** Shared secret sent as X-Storage-Key (STORAGE_SERVICE_KEY, or derived from SECRET_KEY). */
    serviceKey: string;
    maxConnections: number;
    connectTimeoutMs: number;
    /** Longest silence of the storage service in a transfer before it is abandoned. */
    readTimeoutMs: number;
    /** Longest lifetime of a signed download URL, in seconds. */
    signedUrlMaxSeconds: number;
    /** Largest file of any bucket (STORAGE_MAX_FILE_SIZE_MB); a bucket's file_size_limit may only lower it. null: none. */
    maxFileBytes: number | null;
    /** Bytes each user may own in files (STORAGE_USER_QUOTA_MB); 0: no quota. */
    userQuotaBytes: number;
    /** Unfinished resumable uploads expire after this long without activity (STORAGE_UPLOAD_EXPIRY_HOURS). */
    uploadExpirySeconds: number;
  };
  /** The functions runtime (Deno, internal) and how the backend talks to it. */
  functions: {
    /** http://FUNCTIONS_HOST:FUNCTIONS_INTERNAL_PORT */
    url: string;
    /** Shared secret sent as X-Functions-Key (FUNCTIONS_SERVICE_KEY, or derived from SECRET_KEY). */
    serviceKey: string;
    /** Executions and log lines older than this many days are pruned (FUNCTION_LOG_RETENTION_DAYS). */
    logRetentionDays: number;
  };
  /** Incoming webhooks (`POST /webhooks/trigger/{token}`). */
  webhooks: {
    /** Largest request body accepted (WEBHOOK_MAX_BODY_KB); a larger one is answered 413 before it is read. */
    maxBodyBytes: number;
    /** WEBHOOK_REQUIRE_SIGNATURE: refuse (401) deliveries that carry no signature header of a known form. */
    requireSignature: boolean;
  };
  backups: {
    /** Where archives are written (and listed from); work files live in hidden folders inside it. */
    dir: string;
    /** The storage service's byte store (STORAGE_PATH, as the storage service names it), read by backups and replaced by restores. */
    storagePath: string;
    /** The env file copied into archives as `.env`; empty: none. */
    envFile: string;
    /** 5- or 6-field cron expression of the scheduled backup; empty: no schedule. */
    scheduleCron: string;
    /** Scheduled archives older than this many days are deleted after each scheduled backup; 0 keeps all. */
    retentionDays: number;
    /** Largest archive `POST /backups/restore` accepts. */
    uploadMaxBytes: number;
    /** Folder of pg_dump and psql; empty: found on PATH. */
    pgBinDir: string;
    /** Where a fresh install's one-time restore token is written (0600); empty: kept in memory only. */
    restoreTokenFile: string;
  };
}

const MIB = 1024 * 1024;
/** Sizes in MiB up to this stay exact in bytes (below 2^53). */
const MAX_MIB = 1_000_000_000;

/** `none` (or `off`) means no file. */
function optionalPath(path: string): string {
  return /^(none|off)$/i.test(path.trim()) ? '' : path;
}

/** `off`/`none`/`disabled` turn the schedule off; anything else must be a valid cron expression. */
function backupCron(expression: string): string {
  if (/^(off|none|disabled)$/i.test(expression.trim())) return '';
  if (!validateCron(expression)) {
    throw new ConfigError(
      `BACKUP_SCHEDULE_CRON must be a cron expression such as "0 2 * * *" (or off), got "${expression}"`,
    );
  }
  return expression;
}

/**
 * REALTIME_URL must be http://: the backend tunnels upgrades to the realtime service as plain TCP bytes, so an
 * https:// (or ws://) URL would be spoken to in the wrong protocol and every upgrade would fail.
 */
function realtimeUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`REALTIME_URL must be a URL such as http://127.0.0.1:4000, got "${text}"`);
  }
  if (url.protocol !== 'http:') {
    throw new ConfigError(
      `REALTIME_URL must be an http:// URL (the backend tunnels WebSockets to the realtime service over plain TCP), got "${text}"`,
    );
  }
  return text;
}

/** Reads and validates the backend's configuration once; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const read = createEnvReader(env);
  const secretKey = readJwtSecret(read);

  const pgUser = read.string('POSTGRES_USER', 'postgres');
  const pgPassword = read.string('POSTGRES_PASSWORD', 'postgres');
  const pgDb = read.string('POSTGRES_DB', 'selfdb');
  // Every SelfDB login role has POSTGRES_PASSWORD (the migration runner sets it): only the user differs.
  const databaseUrl =
    read.raw('DATABASE_URL') ??
    postgresUrl(
      DB_ROLES.app,
      pgPassword,
      read.string('PGBOUNCER_HOST', '127.0.0.1'),
      read.int('PGBOUNCER_PORT', 6432),
      pgDb,
    );
  const directDatabaseUrl =
    read.raw('DIRECT_DATABASE_URL') ??
    postgresUrl(
      pgUser,
      pgPassword,
      read.string('POSTGRES_HOST', '127.0.0.1'),
      read.int('DB_PORT', 5432),
      pgDb,
    );
  const consoleSuperuser = read.bool('SQL_CONSOLE_SUPERUSER', false);

  return freeze({
    version: packageJson.version,
    appName: read.string('APP_NAME', 'SelfDB'),
    appDescription: read.string('APP_DESCRIPTION', 'Full Self-Hosted BaaS Built for AI Agents.'),
    host: read.string('BACKEND_HOST', '127.0.0.1'),
    port: read.int('BACKEND_PORT', 8000, { min: 0, max: 65535 }),
    logLevel: read.string('LOG_LEVEL', 'info'),
    metricsToken: readMetricsToken(read),
    apiKey: read.string('API_KEY'),
    secretKey,
    // At most a day: tokens claiming to live longer are refused (MAX_ACCESS_TOKEN_LIFETIME_SECONDS).
    accessTokenTtlSeconds: read.int('ACCESS_TOKEN_EXPIRE_MINUTES', 30, { min: 1, max: 1440 }) * 60,
    refreshTokenTtlDays: read.int('REFRESH_TOKEN_EXPIRE_DAYS', 30, { min: 1 }),
    corsOrigins: read.list('CORS_ORIGINS', [
      'http://localhost:3000',
      'http://localhost:5173',
      'http://localhost:8000',
    ]),
    trustProxy: read.bool('TRUST_PROXY', false),
    databaseUrl,
    directDatabaseUrl,
    dbPoolMax: read.int('DB_POOL_MAX', 10, { min: 1 }),
    realtimeUrl: realtimeUrl(
      read.raw('REALTIME_URL') ??
        `http://127.0.0.1:${read.int('REALTIME_INTERNAL_PORT', 4000, { min: 1, max: 65535 })}`,
    ),
    migrationsDir: read.string(
      'MIGRATIONS_DIR',
      fileURLToPath(new URL('../../database/migrations/', import.meta.url)),
    ),
    runMigrations: read.bool('RUN_MIGRATIONS', true),
    admin: {
      email: read.string('ADMIN_EMAIL'),
      password: read.string('ADMIN_PASSWORD'),
      firstName: read.string('ADMIN_FIRST_NAME', 'Admin'),
      lastName: read.string('ADMIN_LAST_NAME', 'User'),
    },
    rateLimit: {
      windowSeconds: read.int('RATE_LIMIT_WINDOW_SECONDS', 60, { min: 1 }),
      loginPerAccount: read.int('RATE_LIMIT_LOGIN_PER_ACCOUNT', 10, { min: 1 }),
      loginPerAddress: read.int('RATE_LIMIT_LOGIN_PER_ADDRESS', 100, { min: 1 }),
      refreshPerAddress: read.int('RATE_LIMIT_REFRESH_PER_ADDRESS', 60, { min: 1 }),
      signupPerAddress: read.int('RATE_LIMIT_SIGNUP_PER_ADDRESS', 10, { min: 1 }),
    },
    allowSignup: read.bool('ALLOW_SIGNUP', true),
    tables: {
      metadataTtlMs: read.int('TABLES_METADATA_TTL_MS', 1000, { min: 0, max: 600_000 }),
    },
    outbox: {
      retentionHours: read.int('REALTIME_RETENTION_HOURS', 24, { min: 1 }),
      retentionMaxRows: read.int('REALTIME_RETENTION_MAX_ROWS', 1_000_000, { min: 1 }),
      pruneIntervalSeconds: read.int('REALTIME_PRUNE_INTERVAL_SECONDS', 60, { min: 0, max: 86_400 }),
    },
    sql: {
      statementTimeoutMs: read.int('SQL_STATEMENT_TIMEOUT_MS', 30_000, { min: 1 }),
      maxRows: read.int('SQL_MAX_ROWS', 1000, { min: 1, max: 100_000 }),
      databaseUrl: consoleSuperuser
        ? directDatabaseUrl
        : withDatabaseUser(directDatabaseUrl, DB_ROLES.console),
      superuser: consoleSuperuser,
    },
    storage: {
      url: `http://${read.string('STORAGE_HOST', '127.0.0.1')}:${read.int('STORAGE_INTERNAL_PORT', 9000, { min: 1, max: 65535 })}`,
      serviceKey: storageServiceKey(secretKey, read.raw('STORAGE_SERVICE_KEY')),
      maxConnections: read.int('STORAGE_MAX_CONNECTIONS', 100, { min: 1 }),
      connectTimeoutMs: read.int('STORAGE_CONNECT_TIMEOUT', 5, { min: 1 }) * 1000,
      readTimeoutMs: read.int('STORAGE_READ_TIMEOUT', 300, { min: 1 }) * 1000,
      signedUrlMaxSeconds: read.int('STORAGE_SIGNED_URL_MAX_SECONDS', 7 * 24 * 3600, { min: 1 }),
      maxFileBytes: read.int('STORAGE_MAX_FILE_SIZE_MB', 10_240, { min: 0, max: MAX_MIB }) * MIB || null,
      userQuotaBytes: read.int('STORAGE_USER_QUOTA_MB', 0, { min: 0, max: MAX_MIB }) * MIB,
      uploadExpirySeconds: read.int('STORAGE_UPLOAD_EXPIRY_HOURS', 24, { min: 1 }) * 3600,
    },
    functions: {
      url: `http://${read.string('FUNCTIONS_HOST', '127.0.0.1')}:${read.int('FUNCTIONS_INTERNAL_PORT', 8090, { min: 1, max: 65535 })}`,
      serviceKey: functionsServiceKey(secretKey, read.raw('FUNCTIONS_SERVICE_KEY')),
      logRetentionDays: read.int('FUNCTION_LOG_RETENTION_DAYS', 30, { min: 1, max: 36_500 }),
    },
    webhooks: {
      maxBodyBytes: read.int('WEBHOOK_MAX_BODY_KB', 1024, { min: 1, max: 65_536 }) * 1024,
      requireSignature: read.bool('WEBHOOK_REQUIRE_SIGNATURE', false),
    },
    backups: {
      dir: read.string('BACKUPS_DIR', fileURLToPath(new URL('../../backups/', import.meta.url))),
      // One name for the storage folder: STORAGE_PATH, the storage service's; STORAGE_DATA_PATH is its older alias.
      storagePath: read.string(
        'STORAGE_PATH',
        read.string('STORAGE_DATA_PATH', fileURLToPath(new URL('../../.selfdb/storage/', import.meta.url))),
      ),
      envFile: optionalPath(
        read.string('BACKUP_ENV_FILE', fileURLToPath(new URL('../../.env', import.meta.url))),
      ),
      scheduleCron: backupCron(read.string('BACKUP_SCHEDULE_CRON', '0 2 * * *')),
      retentionDays: read.int('BACKUP_RETENTION_DAYS', 7, { min: 0 }),
      uploadMaxBytes: read.int('BACKUP_UPLOAD_MAX_MB', 10_240, { min: 1 }) * 1024 * 1024,
      pgBinDir: read.string('PG_CLIENT_BIN_DIR', ''),
      restoreTokenFile: optionalPath(
        read.string(
          'RESTORE_TOKEN_FILE',
          fileURLToPath(new URL('../../.selfdb/restore-token', import.meta.url)),
        ),
      ),
    },
  });
}
