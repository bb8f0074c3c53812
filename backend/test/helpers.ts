import { randomBytes } from 'node:crypto';
import { DB_ROLES } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { type BuildOptions, buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { prepareDatabase } from '../src/prepare-database.ts';

export const API_KEY = 'selfdb-test-api-key-0123456789abcdef';
export const SECRET_KEY = 'test-secret-key-that-is-long-enough-0123456789';
export const ADMIN = {
  email: 'admin@example.com',
  password: 'AdminPass123',
  firstName: 'Ada',
  lastName: 'Admin',
};

const USER = 'postgres';
const PASSWORD = 'selfdb-test';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through \`npm test\` (scripts/run-tests.ts)`);
  return value;
}

export interface TestDatabase {
  name: string;
  /** Straight to Postgres as the superuser (migrations, backups, tests poking at the database). */
  directUrl: string;
  /** Through PgBouncer as selfdb_app: what the backend's requests use. */
  pooledUrl: string;
}

/** The URLs of database `name` of the test cluster. */
export function testDatabaseUrls(name: string): TestDatabase {
  const pgPort = requireEnv('SELFDB_TEST_PG_PORT');
  const bouncerPort = requireEnv('SELFDB_TEST_PGBOUNCER_PORT');
  return {
    name,
    directUrl: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${pgPort}/${name}`,
    pooledUrl: `postgresql://${DB_ROLES.app}:${PASSWORD}@127.0.0.1:${bouncerPort}/${name}`,
  };
}

/** A fresh database copied from the migrated template, reachable directly and through PgBouncer. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrls('postgres').directUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${requireEnv('SELFDB_TEST_TEMPLATE')}`);
  } finally {
    await admin.end();
  }
  return testDatabaseUrls(name);
}

/** The environment a backend under test gets: its own database, requests through PgBouncer. */
export function testEnv(db: TestDatabase, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    API_KEY,
    SECRET_KEY,
    DATABASE_URL: db.pooledUrl,
    DIRECT_DATABASE_URL: db.directUrl,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ADMIN_FIRST_NAME: ADMIN.firstName,
    ADMIN_LAST_NAME: ADMIN.lastName,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000',
    RATE_LIMIT_LOGIN_PER_ADDRESS: '1000',
    RATE_LIMIT_REFRESH_PER_ADDRESS: '1000',
    RATE_LIMIT_SIGNUP_PER_ADDRESS: '1000',
    ...overrides,
  };
}

export interface TestApp {
  app: FastifyInstance;
  db: TestDatabase;
  close(): Promise<void>;
}

/** Builds a backend on a fresh database (migrated, admin seeded). Use `app.inject` or `app.listen`. */
export async function startTestApp(
  overrides: Record<string, string> = {},
  buildOptions: BuildOptions = { logger: false },
): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = loadConfig(testEnv(db, overrides));
  await prepareDatabase(config, { info: () => {} });
  const app = await buildApp(config, buildOptions);
  await app.ready();
  return { app, db, close: () => app.close() };
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  apiKey?: string | null;
  headers?: Record<string, string>;
}

/** One request through `app.inject` with the API key (unless `apiKey: null`) and an optional bearer token. */
export async function call(app: FastifyInstance, method: string, url: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== null) headers['x-api-key'] = options.apiKey ?? API_KEY;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(options.body === undefined ? {} : { payload: options.body as object }),
  });
  let json: unknown;
  try {
    json = response.json();
  } catch {
    json = undefined;
  }
  return {
    status: response.statusCode,
    headers: response.headers,
    body: json as Record<string, unknown> & unknown[],
  };
}

export async function login(app: FastifyInstance, email: string, password: string) {
  const response = await call(app, 'POST', '/users/token', { body: { email, password } });
  if (response.status !== 200)
    throw new Error(`login ${email} failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as unknown as { access_token: string; refresh_token: string; expires_in: number };
}

/** Registers a user through the API and logs in; returns its id and tokens. */
export async function registerUser(app: FastifyInstance, email: string, password = 'UserPass123') {
  const created = await call(app, 'POST', '/users/', {
    body: { email, password, firstName: 'Test', lastName: 'User' },
  });
  if (created.status !== 201)
    throw new Error(`register ${email} failed: ${created.status} ${JSON.stringify(created.body)}`);
  const tokens = await login(app, email, password);
  return { id: String(created.body.id), email, password, ...tokens };
}
