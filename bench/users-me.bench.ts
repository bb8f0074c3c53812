// Gateway overhead of GET /users/me: the real SelfDB backend against a bare Fastify + pg route that does the same
// work (verify the HS256 access token, look the user up through the same PgBouncer, answer the same JSON).
// Usage: npm run bench   env: BENCH_SECONDS=10 (per measured run), BENCH_WARMUP_SECONDS=3, BENCH_CONNECTIONS=10,
//                             BENCH_ROUNDS=1 (ABBA blocks), BENCH_MIN_RATIO=0.75 (optional: fail below it),
//                             BENCH_LOADER=autocannon|wrk
import assert from 'node:assert/strict';
import { createJwtKey, createPool, verifyAccessToken } from '@selfdb/common';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../backend/src/app.ts';
import { toUserDto } from '../backend/src/modules/users/users.dto.ts';
import type { UserRow } from '../backend/src/modules/users/users.repository.ts';
import { BENCH_API_KEY, BENCH_SECRET_KEY, loginAdmin, runBench, urlOf } from './lib/harness.ts';
import { budgetSeconds, loaderFromEnv, measure, verdict } from './lib/measure.ts';
import { printReport } from './lib/report.ts';
import { readSettings, type Target } from './lib/settings.ts';

const settings = readSettings();
const loader = loaderFromEnv('autocannon');

/**
 * The baseline: what a hand-written route needs to do for /users/me and nothing more — no API key check, CORS,
 * request validation, response schema or error model. The ratio therefore prices everything the gateway adds.
 */
async function startBaseline(pooledUrl: string, poolMax: number): Promise<FastifyInstance> {
  const key = createJwtKey(BENCH_SECRET_KEY);
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

process.exitCode = await runBench(budgetSeconds(settings, 1), loader, async ({ config, apps }) => {
  const selfdb = await buildApp(config, { logger: false });
  apps.push(selfdb);
  await selfdb.listen({ host: '127.0.0.1', port: 0 });
  const baseline = await startBaseline(config.databaseUrl, config.dbPoolMax);
  apps.push(baseline);

  const token = await loginAdmin(urlOf(selfdb));
  const headers = { 'x-api-key': BENCH_API_KEY, authorization: `Bearer ${token}` };
  const urls: Record<Target, string> = {
    selfdb: `${urlOf(selfdb)}/users/me`,
    baseline: `${urlOf(baseline)}/users/me`,
  };
  // Compare like with like: both answer 200 with the same body before anything is measured.
  const bodies = await Promise.all(
    (['selfdb', 'baseline'] as const).map(async (target) => {
      const response = await fetch(urls[target], { headers });
      assert.equal(response.status, 200, `${target} answered ${response.status}`);
      return response.json();
    }),
  );
  assert.deepEqual(bodies[0], bodies[1], 'selfdb and the baseline answer different bodies');

  const runs = await measure(
    loader,
    settings,
    { selfdb: { url: urls.selfdb, headers }, baseline: { url: urls.baseline, headers } },
    'GET /users/me',
  );
  const { ratio } = printReport(
    `GET /users/me: ${settings.connections} connections, ${settings.seconds} s per run after a ` +
      `${settings.warmupSeconds} s warm-up each, ABBA order x${settings.rounds}`,
    runs,
  );
  return verdict([{ label: 'GET /users/me', runs, ratio }], settings.minRatio);
}).catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  return 1;
});
