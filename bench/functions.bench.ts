// Functions (issue 12, part 7), in one run against one stack (Postgres + PgBouncer, the backend, the functions
// runtime as production runs it: its bundle, its own process, so the load generator takes no CPU from it):
// 1. throughput of a trivial function (`export default async function () { return { hello: 'world' }; }`) with
//    BENCH_CONNECTIONS (10) connections against a bare Deno HTTP server returning the same body (`Deno.serve` on
//    127.0.0.1, one Deno process, no sandbox flags; the Deno binary of the npm package `deno` for both): req/s,
//    p50/p99 and the ratio (goal: at least 0.5, p99 under 20 ms), for two routes:
//    - invoke: the backend's public route GET /functions/{name}/invoke with the API key (the gateway: key check,
//      function lookup, execution recorded, the runtime's run route);
//    - runtime: the runtime's POST /functions/{name}/run (the wire contract the backend uses), an http-trigger run —
//      the sandboxed process, the IPC round trip and the runtime's HTTP API; invoke minus this is the gateway;
// 2. cold start: a new function created and deployed through the API (a fresh Deno process loads its module), then
//    invoked: deploy time, first-answer time, and deploy-to-first-answer, BENCH_COLD_SAMPLES samples;
// 3. a table change to its function's start: a function with a database trigger on INSERT, BENCH_TRIGGER_ROWS rows
//    inserted through the data API BENCH_TRIGGER_SPACING_MS apart; latency = the execution's started_at minus the
//    row's created_at (both from Postgres' clock), p50/p99 (goal: p99 under 100 ms).
// Usage: npm run bench:functions   env: BENCH_SECONDS=10, BENCH_WARMUP_SECONDS=3, BENCH_CONNECTIONS=10,
//   BENCH_ROUNDS=1, BENCH_MIN_RATIO (optional), BENCH_LOADER=autocannon|wrk (default autocannon),
//   BENCH_COLD_SAMPLES=5, BENCH_TRIGGER_ROWS=200, BENCH_TRIGGER_SPACING_MS=5
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS_KEY_HEADER } from '@selfdb/common';
import pg from 'pg';
import { buildApp } from '../backend/src/app.ts';
import { findDeno } from '../functions/src/sandbox/deno.ts';
import { freePort, stopProcess } from '../scripts/lib/processes.ts';
import { BENCH_API_KEY, loginAdmin, runBench, urlOf } from './lib/harness.ts';
import type { LoadRequest } from './lib/load.ts';
import { budgetSeconds, loaderFromEnv, measure, verdict } from './lib/measure.ts';
import { printReport, type Run, table } from './lib/report.ts';
import { startServiceBundle } from './lib/services.ts';
import { envNumber, readSettings, type Target } from './lib/settings.ts';

const settings = readSettings();
const loader = loaderFromEnv('autocannon');
const KEY = 'bench-functions-key-0123456789abcdef0123456789';
const BODY = JSON.stringify({ hello: 'world' });
const HELLO = "export default async function () { return { hello: 'world' }; }";
const COLD_SAMPLES = Math.floor(envNumber('BENCH_COLD_SAMPLES', 5, 1));
const TRIGGER_ROWS = Math.floor(envNumber('BENCH_TRIGGER_ROWS', 200, 1));
const TRIGGER_SPACING_MS = envNumber('BENCH_TRIGGER_SPACING_MS', 5, 0);
const TRIGGER_TABLE = 'bench_events';
const ON_INSERT = `
export const triggers = [{ type: 'database', table: '${TRIGGER_TABLE}', operations: ['INSERT'] }];
export default async function (request) {
  const change = await request.json();
  return { id: change.data.id };
}`;

/** The bare Deno server of the baseline, on a free port; resolves once it listens. */
async function startDenoBaseline(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const script = join(dir, 'baseline.ts');
  writeFileSync(
    script,
    `Deno.serve({ hostname: '127.0.0.1', port: ${port}, onListen() { console.log('listening'); } },
      () => new Response(${JSON.stringify(BODY)}, { headers: { 'content-type': 'application/json' } }));\n`,
  );
  const child = spawn(
    findDeno(null),
    ['run', '--no-prompt', '--no-config', '--no-lock', `--allow-net=127.0.0.1:${port}`, script],
    { env: { DENO_DIR: join(dir, 'deno-dir'), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`the Deno baseline exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/`, child };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The q-quantile (0..1) of `values`, nearest rank. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

process.exitCode = await runBench(
  budgetSeconds(settings, 2) + 60 + Math.ceil((TRIGGER_ROWS * (TRIGGER_SPACING_MS + 20)) / 1000),
  loader,
  async ({ config, apps }) => {
    const dir = mkdtempSync(join(tmpdir(), 'selfdb-bench-functions-'));
    const runtimePort = await freePort();
    const backendPort = await freePort();
    let runtimeProcess: ChildProcess | undefined;
    let baseline: { url: string; child: ChildProcess } | undefined;
    try {
      runtimeProcess = await startServiceBundle(
        'functions',
        {
          FUNCTIONS_SERVICE_KEY: KEY,
          FUNCTIONS_HOST: '127.0.0.1',
          FUNCTIONS_INTERNAL_PORT: String(runtimePort),
          FUNCTIONS_DATA_DIR: join(dir, 'runtime'),
          BACKEND_URL: `http://127.0.0.1:${backendPort}`,
          API_KEY: BENCH_API_KEY,
          LOG_LEVEL: 'warn',
        },
        runtimePort,
      );
      const runtimeUrl = `http://127.0.0.1:${runtimePort}`;
      const selfdb = await buildApp(
        { ...config, functions: { ...config.functions, url: runtimeUrl, serviceKey: KEY } },
        { logger: false },
      );
      apps.push(selfdb);
      await selfdb.listen({ host: '127.0.0.1', port: backendPort });
      const api = urlOf(selfdb);
      const token = await loginAdmin(api);
      const admin = {
        'x-api-key': BENCH_API_KEY,
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      };
      const post = async (path: string, body?: unknown, expected = 200) => {
        const response = await fetch(`${api}${path}`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify(body ?? {}),
        });
        assert.equal(
          response.status,
          expected,
          `POST ${path}: ${response.status} ${await response.clone().text()}`,
        );
        return (await response.json()) as Record<string, unknown>;
      };
      /** Creates a function through the API and deploys it (a fresh sandbox loads the module). */
      const deploy = async (name: string, code: string) => {
        const id = String((await post('/functions/', { name, code }, 201)).id);
        const started = performance.now();
        const deployed = await post(`/functions/${id}/deploy`);
        assert.equal(deployed.deployment_status, 'deployed', JSON.stringify(deployed));
        return { id, deployMs: performance.now() - started };
      };

      baseline = await startDenoBaseline(dir);
      const runtimeHeaders = { [FUNCTIONS_KEY_HEADER]: KEY, 'content-type': 'application/json' };
      // The runtime-direct row runs its own deployment (a name the backend does not know).
      const direct = await fetch(`${runtimeUrl}/functions/direct`, {
        method: 'PUT',
        headers: runtimeHeaders,
        body: JSON.stringify({ version: 1, env: {}, timeoutSeconds: 30, code: HELLO }),
      });
      assert.equal(direct.status, 200, await direct.clone().text());
      await deploy('hello', HELLO);

      const runtimeRequest: LoadRequest = {
        url: `${runtimeUrl}/functions/direct/run`,
        method: 'POST',
        headers: runtimeHeaders,
        body: JSON.stringify({
          version: 1,
          executionId: 'bench',
          triggerType: 'http',
          request: { method: 'GET', path: '/', headers: {}, bodyBase64: null },
        }),
      };
      const invokeRequest: LoadRequest = {
        url: `${api}/functions/hello/invoke`,
        headers: { 'x-api-key': BENCH_API_KEY },
      };
      const baselineRequest: LoadRequest = { url: baseline.url, headers: {} };

      // All three answer, with the same body (the runtime's run result carries it in base64).
      assert.equal(await (await fetch(baseline.url)).text(), BODY);
      const invoked = await fetch(invokeRequest.url, { headers: invokeRequest.headers });
      assert.equal(invoked.status, 200);
      assert.deepEqual(await invoked.json(), JSON.parse(BODY));
      const ran = await fetch(runtimeRequest.url, {
        method: 'POST',
        headers: runtimeRequest.headers,
        body: runtimeRequest.body,
      });
      assert.equal(ran.status, 200);
      const result = (await ran.json()) as { status: string; response: { bodyBase64: string } };
      assert.equal(result.status, 'completed');
      assert.equal(Buffer.from(result.response.bodyBase64, 'base64').toString(), BODY);

      const scenarios = [
        {
          label: 'invoke URL (backend gateway)',
          requests: { selfdb: invokeRequest, baseline: baselineRequest },
        },
        {
          label: 'runtime run route (no gateway)',
          requests: { selfdb: runtimeRequest, baseline: baselineRequest },
        },
      ] satisfies { label: string; requests: Record<Target, LoadRequest> }[];
      const results: {
        label: string;
        runs: Run[];
        ratio: number;
        s: { rps: number; p50: number; p99: number };
      }[] = [];
      for (const { label, requests } of scenarios) {
        const runs = await measure(loader, settings, requests, label);
        const { ratio, selfdb: s } = printReport(
          `Trivial function, ${label}, ${settings.connections} connections, ${settings.seconds} s per run after a ` +
            `${settings.warmupSeconds} s warm-up each, ABBA order x${settings.rounds}, vs bare Deno.serve`,
          runs,
        );
        results.push({ label, runs, ratio, s });
      }

      // Cold start: each sample a new function, so no process of it exists before its deploy.
      console.log(
        `\nCold start: ${COLD_SAMPLES} functions created, deployed and invoked one after another...`,
      );
      const cold: { deployMs: number; firstMs: number; totalMs: number }[] = [];
      for (let i = 0; i < COLD_SAMPLES; i++) {
        const name = `cold-${i}`;
        const { deployMs } = await deploy(name, HELLO);
        const started = performance.now();
        const first = await fetch(`${api}/functions/${name}/invoke`, {
          headers: { 'x-api-key': BENCH_API_KEY },
        });
        assert.equal(first.status, 200, await first.clone().text());
        assert.deepEqual(await first.json(), JSON.parse(BODY));
        const firstMs = performance.now() - started;
        cold.push({ deployMs, firstMs, totalMs: deployMs + firstMs });
      }

      // A table change to its function's start.
      const created = await fetch(`${api}/tables/`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name: TRIGGER_TABLE, public: false, table_schema: { n: 'integer' } }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const tableId = ((await created.json()) as { id: string }).id;
      const recorder = await deploy('on-insert', ON_INSERT);
      const db = new pg.Client({ connectionString: config.directDatabaseUrl });
      await db.connect();
      let latencies: number[] = [];
      try {
        // The trigger registry turns change capture on for the table: wait until it has.
        for (let waited = 0; ; waited += 100) {
          const { rows } = await db.query(
            `SELECT 1 FROM pg_trigger WHERE tgrelid = 'public.${TRIGGER_TABLE}'::regclass AND tgname = 'selfdb_capture'`,
          );
          if (rows.length === 1) break;
          assert.ok(waited < 30_000, `no change capture on ${TRIGGER_TABLE} after 30 s`);
          await sleep(100);
        }
        console.log(
          `\nTable change to function start: ${TRIGGER_ROWS} rows inserted through the data API ` +
            `${TRIGGER_SPACING_MS} ms apart...`,
        );
        for (let n = 0; n < TRIGGER_ROWS; n++) {
          await post(`/tables/${tableId}/data`, { n });
          if (TRIGGER_SPACING_MS > 0) await sleep(TRIGGER_SPACING_MS);
        }
        const deadline = Date.now() + 60_000;
        for (;;) {
          const { rows } = await db.query<{ ms: number }>(
            `SELECT EXTRACT(EPOCH FROM (e.started_at - r.created_at)) * 1000 AS ms
               FROM function_executions e JOIN ${TRIGGER_TABLE} r ON r.id::text = e.result->>'id'
              WHERE e.function_id = $1 AND e.status = 'completed'`,
            [recorder.id],
          );
          latencies = rows.map((r) => Number(r.ms));
          if (latencies.length >= TRIGGER_ROWS) break;
          assert.ok(
            Date.now() < deadline,
            `only ${latencies.length}/${TRIGGER_ROWS} trigger runs after 60 s`,
          );
          await sleep(200);
        }
        const { rows } = await db.query<{ runs: string }>(
          'SELECT count(*) AS runs FROM function_executions WHERE function_id = $1',
          [recorder.id],
        );
        assert.equal(Number(rows[0]?.runs), TRIGGER_ROWS, 'each insert runs its function exactly once');
      } finally {
        await db.end();
      }

      const ms = (v: number) => v.toFixed(1);
      console.log(
        `\nSummary\n\n${table([
          ['scenario', 'selfdb req/s', 'p50 ms', 'p99 ms', 'ratio to Deno.serve'],
          ...results.map((r) => [r.label, r.s.rps.toFixed(0), ms(r.s.p50), ms(r.s.p99), r.ratio.toFixed(2)]),
        ])}`,
      );
      const invoke = results[0]!;
      console.log(
        `goal (invoke URL): ratio >= 0.50 (now ${invoke.ratio.toFixed(2)}), p99 < 20 ms (now ${ms(invoke.s.p99)} ms)`,
      );
      console.log(
        `\n${table([
          ['cold start (ms)', 'median', 'max'],
          ...(['deployMs', 'firstMs', 'totalMs'] as const).map((k) => [
            { deployMs: 'deploy (API)', firstMs: 'first invoke', totalMs: 'deploy to first answer' }[k],
            ms(
              quantile(
                cold.map((c) => c[k]),
                0.5,
              ),
            ),
            ms(Math.max(...cold.map((c) => c[k]))),
          ]),
        ])}`,
      );
      const p99 = quantile(latencies, 0.99);
      console.log(
        `\n${table([
          ['table change to function start (ms)', 'runs', 'p50', 'p99', 'max'],
          [
            'execution started_at - row created_at',
            String(latencies.length),
            ms(quantile(latencies, 0.5)),
            ms(p99),
            ms(Math.max(...latencies)),
          ],
        ])}`,
      );
      console.log(`goal: p99 < 100 ms (now ${ms(p99)} ms)`);
      return verdict(results, settings.minRatio);
    } finally {
      if (baseline) await stopProcess(baseline.child, 'SIGTERM');
      for (const app of apps.splice(0)) await app.close().catch(() => {});
      if (runtimeProcess) await stopProcess(runtimeProcess, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  },
).catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  return 1;
});
