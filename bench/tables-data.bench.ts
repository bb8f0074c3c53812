// Gateway overhead of the table data API (SPEC §5): GET /tables/{id}/data for one row by id and for a 50-row page,
// and a single-row POST, each against a bare Fastify + pg route that runs the very same statement (built by the same
// repository functions) through the same PgBouncer, in the same run.
// Usage: npm run bench:tables   env: BENCH_SECONDS=10, BENCH_WARMUP_SECONDS=3, BENCH_CONNECTIONS=10, BENCH_ROUNDS=1,
//                                     BENCH_MIN_RATIO=0.75 (optional), BENCH_LOADER=wrk|autocannon (default wrk),
//                                     BENCH_ROWS=10000 (rows in the table)
import assert from 'node:assert/strict';
import { createJwtKey, createPool, type Pool, verifyAccessToken } from '@selfdb/common';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../backend/src/app.ts';
import { parseDataQuery } from '../backend/src/modules/tables/data-query.ts';
import { buildInsert, buildSelect, type Row } from '../backend/src/modules/tables/rows.repository.ts';
import { TableMetaCache } from '../backend/src/modules/tables/table-meta.ts';
import { ROW_TYPES } from '../backend/src/modules/tables/values.ts';
import { BENCH_API_KEY, BENCH_SECRET_KEY, loginAdmin, runBench, urlOf } from './lib/harness.ts';
import type { LoadRequest } from './lib/load.ts';
import { budgetSeconds, loaderFromEnv, measure, verdict } from './lib/measure.ts';
import { printReport, type Run, table } from './lib/report.ts';
import { envNumber, readSettings, type Target } from './lib/settings.ts';

const settings = readSettings();
const loader = loaderFromEnv('wrk');
const ROWS = Math.floor(envNumber('BENCH_ROWS', 10_000, 1));
const TOTAL = '__selfdb_total';
const NEW_ROW = { title: 'bench row', qty: 7, price: 9.99, done: false };

/**
 * The baseline: the statements SelfDB runs, precomputed, behind bare routes — no API key check, CORS, validation,
 * access rule, metadata cache, response schema or error model. POST verifies the token and loads the user as the
 * gateway does (any real write route must know who writes). The ratio prices everything else the gateway adds.
 */
async function startBaseline(pool: Pool, tableId: string, rowId: string): Promise<FastifyInstance> {
  const meta = await new TableMetaCache(pool, 60_000).get(tableId);
  assert.ok(meta, 'bench table metadata');
  const byId = buildSelect(meta, parseDataQuery(meta, { id: `eq.${rowId}` }));
  const page = buildSelect(meta, parseDataQuery(meta, { page_size: 50 }));
  const keys = Object.keys(NEW_ROW) as (keyof typeof NEW_ROW)[];
  const insert = buildInsert(meta, [NEW_ROW], null);
  // The baseline binds request values by position; check the positions against the builders' own values.
  assert.deepEqual(byId.values, [rowId, 100, 0]);
  assert.deepEqual(page.values, [tableId, 50, 0]);
  assert.deepEqual(
    insert.values,
    keys.map((k) => NEW_ROW[k]),
  );

  const key = createJwtKey(BENCH_SECRET_KEY);
  const app = Fastify({ logger: false });
  app.addHook('onClose', async () => pool.end());
  const select = async (text: string, values: unknown[], pageSize: number) => {
    const { rows } = await pool.query<Row>({ text, values, types: ROW_TYPES });
    const total = rows[0] ? Number(rows[0][TOTAL]) : 0;
    return { data: rows.map(({ [TOTAL]: _total, ...row }) => row), total, page: 1, page_size: pageSize };
  };
  app.get<{ Querystring: { id?: string; page_size?: string } }>('/tables/:table_id/data', async (request) => {
    const { id, page_size } = request.query;
    if (id) return select(byId.text, [id.slice(3), 100, 0], 100);
    const size = Number(page_size ?? 100);
    return select(page.text, [tableId, size, 0], size);
  });
  app.post<{ Body: typeof NEW_ROW }>('/tables/:table_id/data', async (request, reply) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const claims = match?.[1] ? await verifyAccessToken(key, match[1]) : null;
    if (!claims) return reply.code(401).send({ detail: 'Could not validate credentials' });
    const user = await pool.query(
      'SELECT id, email, password, first_name, last_name, role, is_active, created_at FROM users WHERE id = $1',
      [claims.sub],
    );
    if (!user.rows[0]?.is_active) return reply.code(401).send({ detail: 'Could not validate credentials' });
    const { rows } = await pool.query<Row>({
      text: insert.text,
      values: keys.map((k) => request.body[k]),
      types: ROW_TYPES,
    });
    return { status: 'row_inserted', data: rows[0] };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

async function fetchJson(request: LoadRequest) {
  const response = await fetch(request.url, {
    method: request.method ?? 'GET',
    headers: { ...request.headers, ...(request.body && { 'content-type': 'application/json' }) },
    body: request.body,
  });
  assert.equal(response.status, 200, `${request.url}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as Record<string, unknown>;
}

process.exitCode = await runBench(budgetSeconds(settings, 3), loader, async ({ config, apps }) => {
  const selfdb = await buildApp(config, { logger: false });
  apps.push(selfdb);
  await selfdb.listen({ host: '127.0.0.1', port: 0 });
  const token = await loginAdmin(urlOf(selfdb));

  // A public table (anonymous reads: the API key only, as most public reads are) seeded in SQL.
  const created = await fetch(`${urlOf(selfdb)}/tables/`, {
    method: 'POST',
    headers: {
      'x-api-key': BENCH_API_KEY,
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      name: 'bench_items',
      public: true,
      table_schema: { title: 'text', qty: 'integer', price: 'decimal', done: 'boolean' },
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const tableId = ((await created.json()) as { id: string }).id;
  const direct = new pg.Client({ connectionString: config.directDatabaseUrl });
  await direct.connect();
  await direct.query(
    `INSERT INTO bench_items (title, qty, price, done)
     SELECT 'item ' || g, g, g / 100.0, g % 2 = 0 FROM generate_series(1, $1) AS g`,
    [ROWS],
  );
  await direct.query('ANALYZE bench_items');
  const rowId = (
    await direct.query('SELECT id FROM bench_items ORDER BY id OFFSET $1 LIMIT 1', [Math.floor(ROWS / 2)])
  ).rows[0].id as string;
  await direct.end();

  const pool = createPool(config.databaseUrl, { max: config.dbPoolMax, applicationName: 'bench-baseline' });
  const baseline = await startBaseline(pool, tableId, rowId);
  apps.push(baseline);

  const read = { 'x-api-key': BENCH_API_KEY };
  const write = { ...read, authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const body = JSON.stringify(NEW_ROW);
  const scenario = (path: string, method: 'GET' | 'POST', headers: Record<string, string>) =>
    ({
      selfdb: { url: `${urlOf(selfdb)}${path}`, method, headers, ...(method === 'POST' && { body }) },
      baseline: { url: `${urlOf(baseline)}${path}`, method, headers, ...(method === 'POST' && { body }) },
    }) satisfies Record<Target, LoadRequest>;
  const scenarios = [
    { label: 'GET one row by id', requests: scenario(`/tables/${tableId}/data?id=eq.${rowId}`, 'GET', read) },
    { label: 'GET a 50-row page', requests: scenario(`/tables/${tableId}/data?page_size=50`, 'GET', read) },
    { label: 'POST one row', requests: scenario(`/tables/${tableId}/data`, 'POST', write) },
  ];

  // Compare like with like before measuring: the same bodies for reads, the same shape for the insert.
  for (const { label, requests } of scenarios) {
    const [mine, theirs] = [await fetchJson(requests.selfdb), await fetchJson(requests.baseline)];
    if (requests.selfdb.method === 'GET') assert.deepEqual(mine, theirs, `${label}: different bodies`);
    else {
      assert.equal(mine.status, theirs.status);
      assert.deepEqual(Object.keys(mine.data as object), Object.keys(theirs.data as object));
    }
  }

  const results: { label: string; runs: Run[]; ratio: number; rps: [number, number] }[] = [];
  for (const { label, requests } of scenarios) {
    const runs = await measure(loader, settings, requests, label);
    const {
      ratio,
      selfdb: s,
      baseline: b,
    } = printReport(
      `${label}: ${settings.connections} connections, ${settings.seconds} s per run after a ` +
        `${settings.warmupSeconds} s warm-up each, ABBA order x${settings.rounds}, ${ROWS} rows`,
      runs,
    );
    results.push({ label, runs, ratio, rps: [s.rps, b.rps] });
  }
  console.log(
    `\nSummary (goal: selfdb >= 75% of the baseline)\n\n${table([
      ['scenario', '', 'selfdb req/s', 'baseline req/s', 'ratio'],
      ...results.map((r) => [
        r.label,
        '',
        r.rps[0].toFixed(0),
        r.rps[1].toFixed(0),
        `${(r.ratio * 100).toFixed(1)}%`,
      ]),
    ])}`,
  );
  return verdict(results, settings.minRatio);
}).catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  return 1;
});
