// Functions throughput (issue 12, part 7), skeleton: a trivial function run through the functions runtime against a
// bare Deno HTTP server returning the same body, in the same run, with BENCH_CONNECTIONS (10) connections: req/s,
// p50/p99 and the ratio (goal: at least 0.5, p99 under 20 ms). Both use the Deno binary of the npm package `deno`.
// - baseline: `Deno.serve` on 127.0.0.1 answering {"hello":"world"} (one Deno process, no sandbox flags);
// - selfdb: the runtime's POST /functions/hello/run (the wire contract the backend uses), an http-trigger run of
//   `export default async function () { return { hello: 'world' }; }` — the sandboxed process, the IPC round
//   trip and the runtime's HTTP API. The runtime runs as production runs it (its bundle, its own process), so the
//   load generator (a worker thread here) takes no CPU from it. The backend's public route (ANY /functions/{name}/invoke) adds the gateway on
//   top: point BENCH_INVOKE_URL (with BENCH_API_KEY) at a running SelfDB's invoke URL of such a function to
//   measure that instead.
// No Postgres is needed. Usage: npm run bench:functions   env: BENCH_SECONDS=10, BENCH_WARMUP_SECONDS=3,
//   BENCH_CONNECTIONS=10, BENCH_ROUNDS=1, BENCH_MIN_RATIO (optional), BENCH_LOADER=autocannon|wrk (default autocannon)
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS_KEY_HEADER } from '@selfdb/common';
import { findDeno } from '../functions/src/sandbox/deno.ts';
import { freePort, stopProcess } from '../scripts/lib/processes.ts';
import type { LoadRequest } from './lib/load.ts';
import { budgetSeconds, loaderFromEnv, measure, verdict } from './lib/measure.ts';
import { printReport } from './lib/report.ts';
import { startServiceBundle } from './lib/services.ts';
import { readSettings, type Target } from './lib/settings.ts';

const settings = readSettings();
const loader = loaderFromEnv('autocannon');
const KEY = 'bench-functions-key-0123456789abcdef0123456789';
const BODY = JSON.stringify({ hello: 'world' });

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

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'selfdb-bench-functions-'));
  const port = await freePort();
  const runtimeProcess = await startServiceBundle(
    'functions',
    {
      FUNCTIONS_SERVICE_KEY: KEY,
      FUNCTIONS_HOST: '127.0.0.1',
      FUNCTIONS_INTERNAL_PORT: String(port),
      FUNCTIONS_DATA_DIR: join(dir, 'runtime'),
      LOG_LEVEL: 'warn',
    },
    port,
  );
  const runtime = { url: `http://127.0.0.1:${port}` };
  let baseline: { url: string; child: ChildProcess } | undefined;
  const watchdog = setTimeout(
    () => {
      console.error('benchmark exceeded its time budget');
      process.exit(1);
    },
    budgetSeconds(settings, 1) * 1000,
  );
  watchdog.unref();
  try {
    baseline = await startDenoBaseline(dir);
    const headers = { [FUNCTIONS_KEY_HEADER]: KEY, 'content-type': 'application/json' };
    const deployed = await fetch(`${runtime.url}/functions/hello`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        version: 1,
        env: {},
        timeoutSeconds: 30,
        code: "export default async function () { return { hello: 'world' }; }",
      }),
    });
    assert.equal(deployed.status, 200, await deployed.clone().text());

    const invokeUrl = process.env.BENCH_INVOKE_URL;
    const selfdb: LoadRequest = invokeUrl
      ? { url: invokeUrl, headers: { 'x-api-key': process.env.BENCH_API_KEY ?? '' } }
      : {
          url: `${runtime.url}/functions/hello/run`,
          method: 'POST',
          headers,
          body: JSON.stringify({
            version: 1,
            executionId: 'bench',
            triggerType: 'http',
            request: { method: 'GET', path: '/', headers: {}, bodyBase64: null },
          }),
        };
    const requests: Record<Target, LoadRequest> = { selfdb, baseline: { url: baseline.url, headers: {} } };

    // Both answer, and with the same body (the runtime's run result carries it in base64).
    const direct = await fetch(baseline.url);
    assert.equal(await direct.text(), BODY);
    const viaRuntime = await fetch(selfdb.url, {
      method: selfdb.method ?? 'GET',
      headers: selfdb.headers,
      body: selfdb.body,
    });
    assert.equal(viaRuntime.status, 200);
    const text = await viaRuntime.text();
    if (!invokeUrl) {
      const result = JSON.parse(text) as { status: string; response: { bodyBase64: string } };
      assert.equal(result.status, 'completed');
      assert.equal(Buffer.from(result.response.bodyBase64, 'base64').toString(), BODY);
    } else {
      assert.equal(text, BODY);
    }

    const runs = await measure(loader, settings, requests, 'functions');
    const { ratio, selfdb: s } = printReport(
      `Trivial function, ${settings.connections} connections: ${invokeUrl ? 'invoke URL' : 'runtime run route'} vs bare Deno.serve`,
      runs,
    );
    console.log(`goal: ratio >= 0.50 (now ${ratio.toFixed(2)}), p99 < 20 ms (now ${s.p99.toFixed(1)} ms)`);
    return verdict([{ label: 'functions', runs, ratio }], settings.minRatio);
  } finally {
    clearTimeout(watchdog);
    loader.stop();
    if (baseline) await stopProcess(baseline.child, 'SIGTERM');
    await stopProcess(runtimeProcess, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
