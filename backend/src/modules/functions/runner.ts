// Runs a function on the runtime and turns what it did into records: the execution, its logs and counters, and
// the events it emitted as jobs. Used by every trigger (HTTP, the job queue) and independent of Fastify.
import { randomUUID } from 'node:crypto';
import {
  AppError,
  ErrorCode,
  ERRORS,
  type Pool,
  type RuntimeHttpRequest,
  type RuntimeLogLine,
  type RuntimeRunResult,
  withTransaction,
} from '@selfdb/common';
import {
  appendLogs,
  type ExecutionRecord,
  type ExecutionTrigger,
  recordExecutions,
} from './executions.repository.ts';
import { enqueueEventJobs } from './jobs.repository.ts';
import type { RuntimeClient } from './runtime-client.ts';
import { type FunctionTarget, findFunctionTargetById, findVersionCode } from './triggers.repository.ts';

/** Longest emit chain: a run at this depth may emit, but its events are recorded as not delivered. */
export const MAX_EVENT_DEPTH = 8;
/** How event runs are queued: function failures are final, a runtime that is down is waited for (job-worker.ts). */
export const EVENT_JOB = { maxAttempts: 5, retryDelaySeconds: 1 };

export interface Deployer {
  /** Pushes the deployed version of `fn` to the runtime (after the runtime said it does not hold it). */
  ensureDeployed(fn: FunctionTarget): Promise<void>;
}

/**
 * Until the functions API's deployer is merged in: pushes the deployed version's code from function_versions,
 * with the function's own env_vars and timeout.
 */
export function createVersionPusher(pool: Pool, runtime: RuntimeClient): Deployer {
  return {
    async ensureDeployed(fn) {
      if (fn.deployed_version === null) {
        throw new AppError(404, ErrorCode.FUNCTION_NOT_DEPLOYED, `Function ${fn.name} is not deployed`);
      }
      const code = await findVersionCode(pool, fn.id, fn.deployed_version);
      if (code === null) {
        throw new AppError(404, ErrorCode.FUNCTION_NOT_DEPLOYED, `Function ${fn.name} has no deployed code`);
      }
      await runtime.deploy(fn.name, {
        version: fn.deployed_version,
        code,
        env: fn.env_vars ?? {},
        timeoutSeconds: fn.timeout_seconds,
      });
    },
  };
}

export interface RunInput {
  /** The caller's request (HTTP trigger); the other triggers send `payload` as a JSON POST. */
  request?: RuntimeHttpRequest;
  payload?: unknown;
  /** The signed-in caller (HTTP trigger with a token): context.user, and the execution's user. */
  user?: { id: string; email: string; role: string } | null;
  deliveryId?: string | null;
  /** The execution's id (a queue run's 'running' row); a new one otherwise. */
  executionId?: string;
}

export interface RunOutcome {
  record: ExecutionRecord;
  run: RuntimeRunResult;
}

/** Whether a function may run: active, and deployed at some version. */
export const isRunnable = (fn: FunctionTarget) => fn.is_active && fn.deployed_version !== null;

export function createRunner(deps: { pool: Pool; runtime: RuntimeClient; deployer: Deployer }) {
  const { pool, runtime, deployer } = deps;

  async function callRuntime(fn: FunctionTarget, trigger: ExecutionTrigger, input: RunInput, id: string) {
    const request = (target: FunctionTarget) =>
      runtime.run(target.name, {
        version: target.deployed_version!,
        executionId: id,
        triggerType: trigger,
        ...(input.request ? { request: input.request } : { payload: input.payload ?? null }),
        user: input.user ?? null,
        deliveryId: input.deliveryId ?? null,
      });
    try {
      return await request(fn);
    } catch (err) {
      const code = err instanceof AppError ? err.code : null;
      if (code !== ErrorCode.FUNCTION_NOT_DEPLOYED && code !== ErrorCode.FUNCTION_VERSION_MISMATCH) throw err;
      // The runtime restarted (it holds nothing) or holds another version: push the deployed one, read fresh (a
      // cached row may be older than what the runtime holds), and try once more.
      const fresh = (await findFunctionTargetById(pool, fn.id)) ?? fn;
      if (!isRunnable(fresh)) throw ERRORS.functionNotRunnable(fresh.name);
      await deployer.ensureDeployed(fresh);
      return await request(fresh);
    }
  }

  /**
   * Writes finished runs and queues the events they emitted, in the transaction of `client` (its caller's: the
   * job worker finishes its job in the same one). `depth` is the emit chain depth of the runs.
   */
  async function recordIn(
    client: Parameters<typeof recordExecutions>[0],
    outcomes: Array<{ record: ExecutionRecord; events: RuntimeRunResult['events']; depth: number }>,
  ): Promise<string[]> {
    const written = await recordExecutions(
      client,
      outcomes.map((o) => o.record),
    );
    const done = new Set(written);
    for (const outcome of outcomes) {
      const events = Array.isArray(outcome.events) ? outcome.events : [];
      if (events.length === 0 || !done.has(outcome.record.id)) continue;
      const depth = outcome.depth + 1;
      if (depth > MAX_EVENT_DEPTH) {
        const now = new Date().toISOString();
        const lines: RuntimeLogLine[] = events.map((e) => ({
          level: 'warn',
          message: `event "${e.event}" not delivered: emit chain deeper than ${MAX_EVENT_DEPTH}`,
          timestamp: now,
        }));
        await appendLogs(client, outcome.record.id, outcome.record.functionId, lines);
        continue;
      }
      await enqueueEventJobs(client, events, { depth, ...EVENT_JOB });
    }
    return written;
  }

  return {
    /**
     * Runs `fn` (throws 404 NOT_FOUND when it is inactive or was never deployed, 503 FUNCTIONS_UNAVAILABLE when the
     * runtime cannot be reached) and returns the run with the record it makes, not yet written: the caller writes
     * it with `record` (or inside its own transaction with `recordIn`).
     */
    async runFunction(fn: FunctionTarget, trigger: ExecutionTrigger, input: RunInput): Promise<RunOutcome> {
      if (!isRunnable(fn)) throw ERRORS.functionNotRunnable(fn.name);
      const id = input.executionId ?? randomUUID();
      const startedAt = new Date();
      const run = await callRuntime(fn, trigger, input, id);
      const completedAt = new Date();
      return {
        run,
        record: {
          id,
          functionId: fn.id,
          userId: input.user?.id ?? fn.owner_id,
          triggerType: trigger,
          webhookDeliveryId: input.deliveryId ?? null,
          status: run.status,
          startedAt,
          completedAt,
          durationMs: Number.isFinite(run.durationMs)
            ? run.durationMs
            : completedAt.getTime() - startedAt.getTime(),
          result: run.result ?? null,
          errorMessage: run.status === 'completed' ? null : (run.error ?? `Function ${run.status}`),
          logs: Array.isArray(run.logs) ? run.logs : [],
        },
      };
    },

    recordIn,

    /** Writes finished runs (and their events) in one transaction of their own. */
    async record(
      outcomes: Array<{ record: ExecutionRecord; events: RuntimeRunResult['events']; depth: number }>,
    ): Promise<void> {
      const hasEvents = outcomes.some((o) => Array.isArray(o.events) && o.events.length > 0);
      if (!hasEvents) {
        await recordExecutions(
          pool,
          outcomes.map((o) => o.record),
        );
        return;
      }
      await withTransaction(pool, (client) => recordIn(client, outcomes));
    },
  };
}

export type Runner = ReturnType<typeof createRunner>;
