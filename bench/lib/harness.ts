// What every benchmark does around its measurements: a throwaway Postgres + PgBouncer with a migrated database, a
// time budget, and a teardown that runs on success, failure, Ctrl-C or when the budget runs out.
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { Config } from '../../backend/src/config.ts';
import { loadConfig } from '../../backend/src/config.ts';
import { prepareDatabase } from '../../backend/src/prepare-database.ts';
import { startTestStack, type TestStack } from '../../scripts/lib/test-stack.ts';
import type { Loader } from './load.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export const BENCH_API_KEY = 'bench-api-key-0123456789abcdef0123456789';
export const BENCH_SECRET_KEY = 'bench-secret-key-0123456789abcdef0123456789abcdef';
export const BENCH_ADMIN = { email: 'admin@bench.local', password: 'BenchAdmin123' };

export interface BenchContext {
  /** The backend configuration for the bench database (requests through PgBouncer). */
  config: Readonly<Config>;
  stack: TestStack;
  /** Apps closed at teardown, in order. */
  apps: FastifyInstance[];
}

/**
 * Runs `body` with a fresh stack and database (migrated, admin seeded), within `budgetSeconds` (setup and teardown
 * included), tearing everything down whatever happens. Resolves to the process exit code.
 */
export async function runBench(
  budgetSeconds: number,
  loader: Loader,
  body: (ctx: BenchContext) => Promise<number>,
): Promise<number> {
  let stack: TestStack | undefined;
  const apps: FastifyInstance[] = [];
  const teardown = async () => {
    loader.stop();
    for (const app of apps.splice(0)) await app.close().catch(() => {});
    const current = stack;
    stack = undefined;
    await current?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void teardown().finally(() => process.exit(130)));
  }
  const watchdog = setTimeout(() => {
    console.error(`benchmark exceeded its ${budgetSeconds} s budget; tearing down`);
    void teardown().finally(() => process.exit(1));
  }, budgetSeconds * 1000);
  watchdog.unref();

  try {
    console.log('Starting a throwaway Postgres and PgBouncer (transaction mode)...');
    stack = await startTestStack(repoRoot);
    const dbName = 'selfdb_bench';
    const admin = new pg.Client({ connectionString: stack.directUrl('postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const config = loadConfig({
      API_KEY: BENCH_API_KEY,
      SECRET_KEY: BENCH_SECRET_KEY,
      DATABASE_URL: stack.pooledUrl(dbName),
      DIRECT_DATABASE_URL: stack.directUrl(dbName),
      ADMIN_EMAIL: BENCH_ADMIN.email,
      ADMIN_PASSWORD: BENCH_ADMIN.password,
      LOG_LEVEL: 'warn',
      // Only the login is rate limited today; generous limits keep the setup from tripping them.
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000',
      RATE_LIMIT_LOGIN_PER_ADDRESS: '100000',
      RATE_LIMIT_REFRESH_PER_ADDRESS: '100000',
    });
    await prepareDatabase(config, { info: () => {} });
    return await body({ config, stack, apps });
  } finally {
    clearTimeout(watchdog);
    await teardown();
  }
}

/** Logs in through the running SelfDB app and returns the access token. */
export async function loginAdmin(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/users/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY },
    body: JSON.stringify(BENCH_ADMIN),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export const urlOf = (app: FastifyInstance) =>
  `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
