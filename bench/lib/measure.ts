// The measured part of a same-run comparison: warm both servers up, then load them in ABBA order.
import { autocannonLoader, type Loader, type LoadRequest, wrkLoader } from './load.ts';
import { type Run, toRun } from './report.ts';
import { abbaOrder, type BenchSettings, type Target } from './settings.ts';

/** BENCH_LOADER=wrk|autocannon, or `fallback`. */
export function loaderFromEnv(fallback: 'wrk' | 'autocannon'): Loader {
  const name = process.env.BENCH_LOADER || fallback;
  if (name !== 'wrk' && name !== 'autocannon')
    throw new Error(`BENCH_LOADER must be wrk or autocannon (got ${name})`);
  return name === 'wrk' ? wrkLoader() : autocannonLoader();
}

export async function measure(
  loader: Loader,
  settings: BenchSettings,
  requests: Record<Target, LoadRequest>,
  label: string,
): Promise<Run[]> {
  if (settings.warmupSeconds > 0) {
    console.log(`${label}: warming up both servers (${settings.warmupSeconds} s each)...`);
    for (const target of ['selfdb', 'baseline'] as const)
      await loader.run(requests[target], settings.connections, settings.warmupSeconds);
  }
  const order = abbaOrder(settings.rounds);
  const runs: Run[] = [];
  for (const target of order) {
    console.log(`${label}: run ${runs.length + 1}/${order.length}, ${target} for ${settings.seconds} s...`);
    runs.push(toRun(target, await loader.run(requests[target], settings.connections, settings.seconds)));
  }
  return runs;
}

/** Seconds a benchmark of `scenarios` comparisons may take, setup and teardown included. */
export function budgetSeconds(settings: BenchSettings, scenarios: number): number {
  const perScenario = 2 * settings.warmupSeconds + abbaOrder(settings.rounds).length * settings.seconds;
  return scenarios * (perScenario + 15) + 120;
}

/**
 * The exit code: 1 when any request failed (throughput bought with errors is meaningless) or a ratio is below
 * BENCH_MIN_RATIO; 0 otherwise.
 */
export function verdict(results: { label: string; runs: Run[]; ratio: number }[], minRatio?: number): number {
  let code = 0;
  for (const { label, runs, ratio } of results) {
    const failed = runs.filter((r) => r.failures > 0);
    if (failed.length) {
      console.error(`${label}: invalid: ${failed.length} run(s) had non-2xx answers, errors or timeouts`);
      code = 1;
    }
    if (minRatio !== undefined && ratio < minRatio) {
      console.error(`${label}: throughput ratio ${ratio.toFixed(3)} is below BENCH_MIN_RATIO=${minRatio}`);
      code = 1;
    }
  }
  return code;
}
