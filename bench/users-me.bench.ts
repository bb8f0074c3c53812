// Gateway overhead of GET /users/me: the real SelfDB backend against a bare Fastify + pg route that does the same
// work (verify the HS256 access token, look the user up through the same PgBouncer, answer the same JSON).
// Usage: npm run bench   env: BENCH_SECONDS=10 (per measured run), BENCH_WARMUP_SECONDS=3, BENCH_CONNECTIONS=10,
//                             BENCH_ROUNDS=1 (ABBA blocks), BENCH_MIN_RATIO=0.75 (optional: fail below it)
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createJwtKey, createPool, verifyAccessToken } from '@selfdb/common';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../backend/src/app.ts';
import { loadConfig } from '../backend/src/config.ts';
import { prepareDatabase } from '../backend/src/prepare-database.ts';
import { startTestStack, type TestStack } from '../scripts/lib/test-stack.ts';
import { toUserDto } from '../backend/src/modules/users/users.dto.ts';
import type { UserRow } from '../backend/src/modules/users/users.repository.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min)
    throw new Error(`${name} must be a number >= ${min} (got ${raw})`);
  return value;
}

const SECONDS = envNumber('BENCH_SECONDS', 10, 1);
const WARMUP_SECONDS = envNumber('BENCH_WARMUP_SECONDS', 3, 0);
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 10, 1);
const ROUNDS = Math.floor(envNumber('BENCH_ROUNDS', 1, 1));
const MIN_RATIO = process.env.BENCH_MIN_RATIO ? envNumber('BENCH_MIN_RATIO', 0, 0) : undefined;

const DB_NAME = 'selfdb_bench';
const API_KEY = 'bench-api-key-0123456789abcdef0123456789';
const SECRET_KEY = 'bench-secret-key-0123456789abcdef0123456789abcdef';
const ADMIN = { email: 'admin@bench.local', password: 'BenchAdmin123' };

// ABBA order, repeated BENCH_ROUNDS times: each target runs early and late, so drift (caches warming, the machine
// heating up, another process starting) weighs on both alike.
type Target = 'selfdb' | 'baseline';
const ORDER: Target[] = Array.from(
  { length: ROUNDS },
  () => ['selfdb', 'baseline', 'baseline', 'selfdb'] as const,
).flat();
// Runs of one target further apart than this mean the machine was not quiet enough to trust the ratio.
const MAX_SPREAD = 0.1;

interface Run {
  target: Target;
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  requests: number;
  failures: number;
}

/**
 * The baseline: what a hand-written route needs to do for /users/me and nothing more — no API key check, CORS,
 * request validation, response schema or error model. The ratio therefore prices everything the gateway adds.
 */
async function startBaseline(pooledUrl: string, poolMax: number): Promise<FastifyInstance> {
  const key = createJwtKey(SECRET_KEY);
  const pool = createPool(pooledUrl, { max: poolMax, applicationName: 'bench-baseline' });
  const app = Fastify({ logger: false });
  app.addHook('onClose', async () => pool.end());
  app.get('/users/me', async (request, reply) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const claims = match?.[1] ? await verifyAccessToken(key, match[1]) : null;
    if (!claims) return reply.code(401).send({ detail: 'Could not validate credentials' });
    const { rows } = await pool.query<UserRow>(
      'SELECT id, email, password, first_name, last_name, role, is_active, created_at FROM users WHERE id = $1',
      [claims.sub],
    );
    const row = rows[0];
    if (!row?.is_active) return reply.code(401).send({ detail: 'Could not validate credentials' });
    return toUserDto(row);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

const urlOf = (app: FastifyInstance) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

let activeLoad: { stop(): void } | undefined;

/** One autocannon run in a worker thread, so the load generator does not share the servers' event loop. */
function load(url: string, headers: Record<string, string>, seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    activeLoad = autocannon(
      { url, headers, connections: CONNECTIONS, duration: seconds, workers: 1 },
      (err: unknown, result: autocannon.Result) => {
        activeLoad = undefined;
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve(result);
      },
    );
  });
}

const average = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** Left-aligns the first two columns and right-aligns the numbers, with a header row. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => (col < 2 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function printReport(runs: Run[]): { ratio: number } {
  const perRun = runs.map((r, i) => [
    String(i + 1),
    r.target,
    r.rps.toFixed(0),
    r.mean.toFixed(2),
    String(r.p50),
    String(r.p99),
    String(r.requests),
    String(r.failures),
  ]);
  const summary = (target: Target) => {
    const mine = runs.filter((r) => r.target === target);
    return {
      rps: average(mine.map((r) => r.rps)),
      mean: average(mine.map((r) => r.mean)),
      p50: average(mine.map((r) => r.p50)),
      p99: average(mine.map((r) => r.p99)),
    };
  };
  const s = summary('selfdb');
  const b = summary('baseline');
  const ratio = s.rps / b.rps;
  const warnings = (['selfdb', 'baseline'] as const).flatMap((target) => {
    const rps = runs.filter((r) => r.target === target).map((r) => r.rps);
    const spread = (Math.max(...rps) - Math.min(...rps)) / average(rps);
    return spread > MAX_SPREAD
      ? [
          `warning: the ${target} runs differ by ${(spread * 100).toFixed(0)}% in req/s: something else competed for ` +
            'the CPU, so the ratio is unreliable; rerun on a quieter machine, longer, or with more rounds',
        ]
      : [];
  });
  const summaryRow = (name: string, v: typeof s) => [
    'mean',
    name,
    v.rps.toFixed(0),
    v.mean.toFixed(2),
    v.p50.toFixed(1),
    v.p99.toFixed(1),
    '',
    '',
  ];
  console.log(
    [
      '',
      `GET /users/me: ${CONNECTIONS} connections, ${SECONDS} s per run after a ${WARMUP_SECONDS} s warm-up each, ` +
        `ABBA order x${ROUNDS}`,
      '',
      table([
        ['run', 'target', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'requests', 'failed'],
        ...perRun,
        summaryRow('selfdb', s),
        summaryRow('baseline', b),
      ]),
      '',
      `selfdb/baseline: throughput ${ratio.toFixed(3)} (${(ratio * 100).toFixed(1)}%), ` +
        `mean latency x${(s.mean / b.mean).toFixed(2)}, p99 latency x${(s.p99 / b.p99).toFixed(2)}`,
      ...warnings,
    ].join('\n'),
  );
  return { ratio };
}

async function main(): Promise<number> {
  let stack: TestStack | undefined;
  const apps: FastifyInstance[] = [];
  const teardown = async () => {
    activeLoad?.stop();
    for (const app of apps.splice(0)) await app.close().catch(() => {});
    const current = stack;
    stack = undefined;
    await current?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void teardown().finally(() => process.exit(130)));
  }
  // The whole run is bounded: setup, warm-ups and measured runs, plus a generous margin for start and teardown.
  const budgetMs = (2 * WARMUP_SECONDS + ORDER.length * SECONDS + 120) * 1000;
  const watchdog = setTimeout(() => {
    console.error(`benchmark exceeded its ${budgetMs / 1000} s budget; tearing down`);
    void teardown().finally(() => process.exit(1));
  }, budgetMs);
  watchdog.unref();

  try {
    console.log('Starting a throwaway Postgres and PgBouncer (transaction mode)...');
    stack = await startTestStack(repoRoot);
    const admin = new pg.Client({ connectionString: stack.directUrl('postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DB_NAME}`);
    await admin.end();

    const config = loadConfig({
      API_KEY,
      SECRET_KEY,
      DATABASE_URL: stack.pooledUrl(DB_NAME),
      DIRECT_DATABASE_URL: stack.directUrl(DB_NAME),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'warn',
      // Only the login is rate limited today; generous limits keep the setup from tripping them.
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000',
      RATE_LIMIT_LOGIN_PER_ADDRESS: '100000',
      RATE_LIMIT_REFRESH_PER_ADDRESS: '100000',
    });
    await prepareDatabase(config, { info: () => {} });

    const selfdb = await buildApp(config, { logger: false });
    apps.push(selfdb);
    await selfdb.listen({ host: '127.0.0.1', port: 0 });
    const baseline = await startBaseline(config.databaseUrl, config.dbPoolMax);
    apps.push(baseline);

    const login = await fetch(`${urlOf(selfdb)}/users/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: JSON.stringify(ADMIN),
    });
    assert.equal(login.status, 200, `login failed: ${login.status} ${await login.clone().text()}`);
    const { access_token } = (await login.json()) as { access_token: string };
    const headers = { 'x-api-key': API_KEY, authorization: `Bearer ${access_token}` };

    // Compare like with like: both answer 200 with the same body before anything is measured.
    const urls: Record<Target, string> = {
      selfdb: `${urlOf(selfdb)}/users/me`,
      baseline: `${urlOf(baseline)}/users/me`,
    };
    const bodies = await Promise.all(
      (['selfdb', 'baseline'] as const).map(async (target) => {
        const response = await fetch(urls[target], { headers });
        assert.equal(response.status, 200, `${target} answered ${response.status}`);
        return response.json();
      }),
    );
    assert.deepEqual(bodies[0], bodies[1], 'selfdb and the baseline answer different bodies');

    if (WARMUP_SECONDS > 0) {
      console.log(`Warming up both servers (${WARMUP_SECONDS} s each)...`);
      for (const target of ['selfdb', 'baseline'] as const) await load(urls[target], headers, WARMUP_SECONDS);
    }
    const runs: Run[] = [];
    for (const target of ORDER) {
      console.log(`Run ${runs.length + 1}/${ORDER.length}: ${target} for ${SECONDS} s...`);
      const result = await load(urls[target], headers, SECONDS);
      runs.push({
        target,
        // Completed requests over the measured time: autocannon's per-second average depends on how its samples
        // line up with the run's end and rounds the counts in its histogram.
        rps: result.requests.total / result.duration,
        mean: result.latency.mean,
        p50: result.latency.p50,
        p99: result.latency.p99,
        requests: result.requests.total,
        failures: result.non2xx + result.errors + result.timeouts,
      });
    }
    const { ratio } = printReport(runs);

    // Throughput bought with failed requests is meaningless: any non-2xx, error or timeout fails the benchmark.
    const failed = runs.filter((r) => r.failures > 0);
    if (failed.length) {
      console.error(`invalid: ${failed.length} run(s) had non-2xx answers, errors or timeouts`);
      return 1;
    }
    if (MIN_RATIO !== undefined && ratio < MIN_RATIO) {
      console.error(`throughput ratio ${ratio.toFixed(3)} is below BENCH_MIN_RATIO=${MIN_RATIO}`);
      return 1;
    }
    return 0;
  } finally {
    clearTimeout(watchdog);
    await teardown();
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  return 1;
});
