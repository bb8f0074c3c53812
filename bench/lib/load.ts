// Load generators: autocannon (in a worker thread) or wrk (a separate process, steadier on a small machine). Both
// report the same figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export interface LoadRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  /** Completed requests. */
  requests: number;
  /** Measured seconds. */
  seconds: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers, socket errors and timeouts. */
  failures: number;
}

export interface Loader {
  run(request: LoadRequest, connections: number, seconds: number): Promise<LoadResult>;
  /** Stops a run in progress (teardown). */
  stop(): void;
}

/** autocannon in a worker thread, so the load generator does not share the servers' event loop. */
export function autocannonLoader(): Loader {
  let active: { stop(): void } | undefined;
  return {
    run(request, connections, seconds) {
      return new Promise((resolve, reject) => {
        active = autocannon(
          {
            url: request.url,
            method: request.method ?? 'GET',
            headers: request.headers,
            ...(request.body !== undefined && { body: request.body }),
            connections,
            duration: seconds,
            workers: 1,
          },
          (err: unknown, result: autocannon.Result) => {
            active = undefined;
            if (err) return reject(err instanceof Error ? err : new Error(String(err)));
            resolve({
              // Completed requests over the measured time: autocannon's per-second average depends on how its
              // samples line up with the run's end and rounds the counts in its histogram.
              requests: result.requests.total,
              seconds: result.duration,
              meanMs: result.latency.mean,
              p50Ms: result.latency.p50,
              p99Ms: result.latency.p99,
              failures: result.non2xx + result.errors + result.timeouts,
            });
          },
        );
      });
    },
    stop: () => active?.stop(),
  };
}

const luaString = (value: string) =>
  `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** wrk (Debian: `apt-get install wrk`) with a Lua script that sets the request and prints the figures as JSON. */
export function wrkLoader(bin = process.env.WRK_BIN ?? 'wrk'): Loader {
  let active: ReturnType<typeof spawn> | undefined;
  return {
    run(request, connections, seconds) {
      const dir = mkdtempSync(join(tmpdir(), 'selfdb-wrk-'));
      const script = join(dir, 'request.lua');
      writeFileSync(
        script,
        [
          `wrk.method = ${luaString(request.method ?? 'GET')}`,
          ...Object.entries(request.headers).map(
            ([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`,
          ),
          ...(request.body !== undefined ? [`wrk.body = ${luaString(request.body)}`] : []),
          'done = function(summary, latency, requests)',
          '  local e = summary.errors',
          '  io.write(string.format(\'{"requests":%d,"duration_us":%d,"failures":%d,"mean_us":%f,"p50_us":%d,"p99_us":%d}\\n\',',
          '    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,',
          '    latency.mean, latency:percentile(50), latency:percentile(99)))',
          'end',
        ].join('\n'),
      );
      return new Promise<LoadResult>((resolve, reject) => {
        const args = [
          '-t',
          '1',
          '-c',
          String(connections),
          '-d',
          `${seconds}s`,
          '--timeout',
          '5s',
          '-s',
          script,
          request.url,
        ];
        const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        active = child;
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('error', (err) =>
          reject(new Error(`cannot run ${bin} (apt-get install wrk): ${err.message}`)),
        );
        child.on('close', (code) => {
          active = undefined;
          rmSync(dir, { recursive: true, force: true });
          const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
          if (code !== 0 || !line) return reject(new Error(`wrk failed (exit ${code}):\n${out}`));
          const r = JSON.parse(line) as Record<string, number>;
          resolve({
            requests: r.requests!,
            seconds: r.duration_us! / 1e6,
            meanMs: r.mean_us! / 1000,
            p50Ms: r.p50_us! / 1000,
            p99Ms: r.p99_us! / 1000,
            failures: r.failures!,
          });
        });
      });
    },
    stop: () => active?.kill('SIGTERM'),
  };
}
