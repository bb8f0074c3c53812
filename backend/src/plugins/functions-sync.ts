// The functions runtime keeps no state: when it restarts (a new /health boot_id) every active deployed function
// is pushed to it again from the database. Also prunes old executions and logs. Both start when the server
// listens, so tools and tests that only build the app never run them.
import type { Pool } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { Deployer } from '../modules/functions/deployer.ts';
import { pruneFunctionRuns } from '../modules/functions/maintenance.ts';

/** How often the runtime's boot id is checked (a restarted runtime gets its functions back within this). */
export const FUNCTIONS_SYNC_INTERVAL_MS = 3000;
/** How often executions and logs older than FUNCTION_LOG_RETENTION_DAYS are pruned. */
export const FUNCTIONS_PRUNE_INTERVAL_MS = 3_600_000;

export function installFunctionsSync(
  app: FastifyInstance,
  deps: { pool: Pool; deployer: Deployer; logRetentionDays: number },
) {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  let reachable = true;

  /** Runs `task` now and every `ms`, never two of the same at once. */
  function every(ms: number, task: () => Promise<void>) {
    let current: Promise<void> | null = null;
    const tick = () => {
      if (current) return;
      const run = task().finally(() => {
        running.delete(run);
        current = null;
      });
      current = run;
      running.add(run);
    };
    tick();
    const timer = setInterval(tick, ms);
    timer.unref();
    timers.push(timer);
  }

  async function syncRuntime() {
    try {
      const result = await deps.deployer.syncIfRestarted();
      if (!reachable) app.log.info('functions runtime reachable again');
      reachable = true;
      if (result.failed > 0) app.log.warn({ ...result }, 'some functions could not be re-deployed');
    } catch (err) {
      // Logged once per outage, not every few seconds.
      if (reachable) app.log.warn(`functions runtime unreachable: ${(err as Error).message}`);
      reachable = false;
    }
  }

  async function pruneRuns() {
    try {
      const pruned = await pruneFunctionRuns(deps.pool, deps.logRetentionDays);
      if (pruned && pruned.executions + pruned.logs > 0)
        app.log.info(pruned, 'pruned function executions and logs');
    } catch (err) {
      app.log.warn(`pruning function executions and logs failed: ${(err as Error).message}`);
    }
  }

  // Fastify runs onListen hooks after listen() has resolved: a server closed at once may see them after onClose.
  let closed = false;
  app.addHook('onListen', async function startFunctionsSync() {
    if (closed) return;
    every(FUNCTIONS_SYNC_INTERVAL_MS, syncRuntime);
    every(FUNCTIONS_PRUNE_INTERVAL_MS, pruneRuns);
  });
  app.addHook('onClose', async function stopFunctionsSync() {
    closed = true;
    for (const timer of timers) clearInterval(timer);
    await Promise.all(running);
  });
}
