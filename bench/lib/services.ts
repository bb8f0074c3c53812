// A SelfDB service started for a benchmark as production runs it: its bundle (scripts/build.ts) with the same V8
// flags and environment, as its own process, so its CPU time and RSS can be read from /proc alone.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundlePath, buildServices, NODE_FLAGS, RUNTIME_ENV, type Service } from '../../scripts/build.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Builds and starts `service` with exactly `env` (plus PATH); resolves once its /health answers 200. */
export async function startServiceBundle(
  service: Service,
  env: Record<string, string>,
  port: number,
): Promise<ChildProcess> {
  await buildServices([service]);
  const child = spawn(process.execPath, [...NODE_FLAGS[service], bundlePath(service)], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...RUNTIME_ENV[service], ...env },
    stdio: ['ignore', 'inherit', 'inherit'], // services log warnings only (LOG_LEVEL=warn)
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode} during start-up`);
    const healthy = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) return child;
    if (Date.now() > deadline) throw new Error(`${service} was not healthy after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
