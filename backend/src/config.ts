import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, createEnvReader, freeze } from '@selfdb/common';

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
  apiKey: string;
  secretKey: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  corsOrigins: string[];
  trustProxy: boolean;
  /** Through PgBouncer (transaction mode): every request query. */
  databaseUrl: string;
  /** Straight to Postgres: migrations and anything session-scoped. */
  directDatabaseUrl: string;
  dbPoolMax: number;
  migrationsDir: string;
  runMigrations: boolean;
  admin: { email: string; password: string; firstName: string; lastName: string };
  rateLimit: {
    windowSeconds: number;
    loginPerAccount: number;
    loginPerAddress: number;
    refreshPerAddress: number;
  };
}

function postgresUrl(user: string, password: string, host: string, port: number, db: string): string {
  return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(db)}`;
}

/** Reads and validates the backend's configuration once; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const read = createEnvReader(env);
  const algorithm = read.string('ALGORITHM', 'HS256');
  if (algorithm !== 'HS256') throw new ConfigError(`ALGORITHM must be HS256 (got ${algorithm})`);
  const secretKey = read.string('SECRET_KEY');
  if (secretKey.length < 32) {
    throw new ConfigError(
      'SECRET_KEY must be at least 32 characters: run ./generate_keys.sh --yes to make one',
    );
  }

  const pgUser = read.string('POSTGRES_USER', 'postgres');
  const pgPassword = read.string('POSTGRES_PASSWORD', 'postgres');
  const pgDb = read.string('POSTGRES_DB', 'selfdb');
  const databaseUrl =
    read.raw('DATABASE_URL') ??
    postgresUrl(
      pgUser,
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

  return freeze({
    version: packageJson.version,
    appName: read.string('APP_NAME', 'SelfDB'),
    appDescription: read.string('APP_DESCRIPTION', 'Full Self-Hosted BaaS Built for AI Agents.'),
    host: read.string('BACKEND_HOST', '127.0.0.1'),
    port: read.int('BACKEND_PORT', 8000, { min: 0, max: 65535 }),
    logLevel: read.string('LOG_LEVEL', 'info'),
    apiKey: read.string('API_KEY'),
    secretKey,
    accessTokenTtlSeconds: read.int('ACCESS_TOKEN_EXPIRE_MINUTES', 30, { min: 1 }) * 60,
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
    },
  });
}
