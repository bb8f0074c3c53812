// The printed report of a same-run comparison: one row per run, the mean per target, and the ratio.
import type { LoadResult } from './load.ts';
import type { Target } from './settings.ts';

export interface Run {
  target: Target;
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  requests: number;
  failures: number;
}

export function toRun(target: Target, result: LoadResult): Run {
  return {
    target,
    rps: result.requests / result.seconds,
    mean: result.meanMs,
    p50: result.p50Ms,
    p99: result.p99Ms,
    requests: result.requests,
    failures: result.failures,
  };
}

// Runs of one target further apart than this mean the machine was not quiet enough to trust the ratio.
const MAX_SPREAD = 0.1;

const average = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const fixed = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));

/** Left-aligns the first two columns and right-aligns the numbers. */
export function table(rows: string[][]): string {
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

export interface Summary {
  rps: number;
  mean: number;
  p50: number;
  p99: number;
}

export function summarize(runs: Run[], target: Target): Summary {
  const mine = runs.filter((r) => r.target === target);
  return {
    rps: average(mine.map((r) => r.rps)),
    mean: average(mine.map((r) => r.mean)),
    p50: average(mine.map((r) => r.p50)),
    p99: average(mine.map((r) => r.p99)),
  };
}

/** Prints the runs of one scenario under `title`; returns the throughput ratio selfdb/baseline. */
export function printReport(
  title: string,
  runs: Run[],
): { ratio: number; selfdb: Summary; baseline: Summary } {
  const s = summarize(runs, 'selfdb');
  const b = summarize(runs, 'baseline');
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
  const summaryRow = (name: string, v: Summary) => [
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
      title,
      '',
      table([
        ['run', 'target', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'requests', 'failed'],
        ...runs.map((r, i) => [
          String(i + 1),
          r.target,
          r.rps.toFixed(0),
          r.mean.toFixed(2),
          fixed(r.p50),
          fixed(r.p99),
          String(r.requests),
          String(r.failures),
        ]),
        summaryRow('selfdb', s),
        summaryRow('baseline', b),
      ]),
      '',
      `selfdb/baseline: throughput ${ratio.toFixed(3)} (${(ratio * 100).toFixed(1)}%), ` +
        `mean latency x${(s.mean / b.mean).toFixed(2)}, p99 latency x${(s.p99 / b.p99).toFixed(2)}`,
      ...warnings,
    ].join('\n'),
  );
  return { ratio, selfdb: s, baseline: b };
}
