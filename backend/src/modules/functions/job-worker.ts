// The worker of the function job queue: every backend process runs one. It wakes on NOTIFY (a direct LISTEN
// connection: PgBouncer in transaction mode cannot hold one) and polls as a safety net and for retries coming due;
// claims due jobs with FOR UPDATE SKIP LOCKED under a lease; runs them; and finishes each attempt in one
// transaction with its records (execution, logs, counters, emitted events) and, for a webhook delivery, the
// delivery row and its webhook's counters. A job whose lease ran out (its process or the runtime died mid-run) is
// a failed attempt, recorded as such and retried while attempts remain.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AppError, ErrorCode, type Pool, type PoolClient, withTransaction } from '@selfdb/common';
import pg from 'pg';
import type { ExecutionRecord } from './executions.repository.ts';
import { findExecutionStart } from './executions.repository.ts';
import {
  type ClaimedJob,
  claimJobs,
  deleteJob,
  JOBS_CHANNEL,
  lockExpiredJobs,
  lockOwnJob,
  retryJobLater,
  updateDelivery,
} from './jobs.repository.ts';
import type { RunOutcome, Runner } from './runner.ts';
import { findFunctionTargetById } from './triggers.repository.ts';

export interface JobWorkerOptions {
  pool: Pool;
  /** Straight to Postgres, for LISTEN. */
  directUrl: string;
  runner: Runner;
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  /** Jobs run at once by this process. */
  concurrency?: number;
  /** Safety-net polling interval (retries coming due are found by it). */
  pollMs?: number;
  /** Added to a function's timeout to make its lease. */
  leaseMarginSeconds?: number;
}

export const KILLED_MID_RUN = 'runtime killed mid-run';
/** Writes of an attempt's outcome tried again (about 30 s in all) before the lease is left to run out. */
const FINISH_RETRIES = 18;
const REAP_EVERY_MS = 1000;

export function createJobWorker(options: JobWorkerOptions) {
  const { pool, runner, log } = options;
  const concurrency = options.concurrency ?? 4;
  const pollMs = options.pollMs ?? 500;
  const leaseMargin = options.leaseMarginSeconds ?? 30;
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const active = new Set<Promise<void>>();
  let stopped = true;
  let looping = false;
  let dirty = false;
  let pollTimer: NodeJS.Timeout | null = null;
  let listener: pg.Client | null = null;
  let listenTimer: NodeJS.Timeout | null = null;
  let listenFailures = 0;
  let lastReap = 0;

  /** Finishes an attempt: records it, then deletes the job, or puts it back after its backoff. */
  async function finish(
    job: ClaimedJob,
    record: ExecutionRecord | null,
    run: RunOutcome['run'] | null,
    infraFailure: boolean,
    client?: PoolClient,
  ): Promise<void> {
    const work = async (tx: PoolClient) => {
      if (!client && !(await lockOwnJob(tx, job.id, workerId, job.execution_id))) {
        log.warn(`function job ${job.id}: lease lost before the run ended; the reaper recorded it`);
        return;
      }
      if (record) await runner.recordIn(tx, [{ record, events: run?.events ?? [], depth: job.depth }]);
      const success = record?.status === 'completed';
      // Webhook deliveries retry every failure; other jobs only what kept the function from running or finishing
      // (the runtime down or killed), never a function's own failure (it would run twice).
      const retryable =
        !success &&
        record !== null &&
        job.attempts < job.max_attempts &&
        (job.webhook_delivery_id !== null || infraFailure);
      const error = record?.errorMessage ?? 'Function is inactive or not deployed';
      let nextRetryAt: Date | null = null;
      if (retryable) nextRetryAt = await retryJobLater(tx, job.id, error);
      else await deleteJob(tx, job.id);
      if (job.webhook_delivery_id) {
        await updateDelivery(tx, job.webhook_delivery_id, {
          status: success ? 'completed' : retryable ? 'retry_pending' : 'failed',
          executionId: record?.id ?? null,
          result: record?.result ?? null,
          errorMessage: success ? null : error,
          executionTimeMs: record ? record.durationMs : null,
          responseStatusCode: run?.response?.status ?? null,
          nextRetryAt,
        });
      }
    };
    if (client) return work(client);
    // The run is over: its record must not be lost to a database that is briefly away (a restart), so the outcome
    // is written again until it is (while the lease holds; after it, the reaper records the attempt as failed).
    for (let attempt = 0; ; attempt++) {
      try {
        return await withTransaction(pool, work);
      } catch (err) {
        if (stopped || attempt >= FINISH_RETRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)));
      }
    }
  }

  async function processJob(job: ClaimedJob): Promise<void> {
    if (!job.execution_id) return finish(job, null, null, false);
    const fn = await findFunctionTargetById(pool, job.function_id);
    const startedAt = new Date();
    let outcome: RunOutcome | null = null;
    let failure: string | null = null;
    if (fn) {
      try {
        outcome = await runner.runFunction(fn, job.trigger_type, {
          payload: job.payload,
          deliveryId: job.webhook_delivery_id,
          executionId: job.execution_id,
        });
      } catch (err) {
        const unavailable = err instanceof AppError && err.code === ErrorCode.FUNCTIONS_UNAVAILABLE;
        failure = unavailable ? `${KILLED_MID_RUN} or unavailable: ${err.message}` : (err as Error).message;
      }
    } else failure = 'Function was deleted';
    if (outcome) return finish(job, outcome.record, outcome.run, false);
    const completedAt = new Date();
    const record: ExecutionRecord = {
      id: job.execution_id,
      functionId: job.function_id,
      userId: job.owner_id,
      triggerType: job.trigger_type,
      webhookDeliveryId: job.webhook_delivery_id,
      status: 'failed',
      startedAt,
      completedAt,
      durationMs: completedAt.getTime() - startedAt.getTime(),
      result: null,
      errorMessage: failure,
      logs: [],
    };
    return finish(job, record, null, true);
  }

  /** Attempts cut short by a death (lease ran out): recorded failed, retried while attempts remain. */
  async function reap(): Promise<number> {
    return withTransaction(pool, async (client) => {
      const expired = await lockExpiredJobs(client, 20);
      for (const job of expired) {
        let record: ExecutionRecord | null = null;
        if (job.execution_id) {
          const started = (await findExecutionStart(client, job.execution_id)) ?? new Date();
          const now = new Date();
          record = {
            id: job.execution_id,
            functionId: job.function_id,
            userId: job.owner_id,
            triggerType: job.trigger_type,
            webhookDeliveryId: job.webhook_delivery_id,
            status: 'failed',
            startedAt: started,
            completedAt: now,
            durationMs: now.getTime() - started.getTime(),
            result: null,
            errorMessage: `${KILLED_MID_RUN} (its lease ran out)`,
            logs: [],
          };
        }
        await finish(job, record, null, true, client);
        log.warn(`function job ${job.id}: lease ran out (${KILLED_MID_RUN}), attempt ${job.attempts} failed`);
      }
      return expired.length;
    });
  }

  async function loop(): Promise<void> {
    looping = true;
    try {
      do {
        dirty = false;
        if (stopped) return;
        // Leases are checked at most every REAP_EVERY_MS, not on every wake-up (a NOTIFY wants its job at once).
        if (Date.now() - lastReap >= REAP_EVERY_MS) {
          lastReap = Date.now();
          await reap();
        }
        const room = concurrency - active.size;
        if (room <= 0) return;
        const jobs = await claimJobs(pool, workerId, room, leaseMargin);
        for (const job of jobs) {
          const running = processJob(job)
            .catch((err: Error) => log.error(`function job ${job.id} failed to finish: ${err.message}`))
            .finally(() => {
              active.delete(running);
              kick();
            });
          active.add(running);
        }
        if (jobs.length === room) dirty = true;
      } while (dirty);
    } catch (err) {
      if (!stopped) log.warn(`function jobs: ${(err as Error).message}`);
    } finally {
      looping = false;
    }
  }

  function kick(): void {
    if (stopped) return;
    if (looping) {
      dirty = true;
      return;
    }
    void loop();
  }

  async function connectListener(): Promise<void> {
    if (stopped) return;
    const client = new pg.Client({
      connectionString: options.directUrl,
      application_name: 'selfdb-function-jobs',
      keepAlive: true,
    });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (listener === client) listener = null;
      client.end().catch(() => {});
      if (stopped || listenTimer) return;
      listenFailures++;
      const delay = Math.min(100 * 2 ** Math.min(listenFailures - 1, 6), 5000);
      listenTimer = setTimeout(() => {
        listenTimer = null;
        void connectListener();
      }, delay);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', () => kick());
    try {
      await client.connect();
      await client.query(`LISTEN ${JOBS_CHANNEL}`);
      if (stopped || lost) {
        await client.end().catch(() => {});
        return;
      }
      listener = client;
      listenFailures = 0;
      kick();
    } catch {
      onLost();
    }
  }

  return {
    workerId,
    start(): void {
      if (!stopped) return;
      stopped = false;
      void connectListener();
      pollTimer = setInterval(kick, pollMs);
      pollTimer.unref();
      kick();
    },
    /** Looks for due jobs now. */
    kick,
    /** No job starts after this; resolves once the running ones have finished. */
    async stop(): Promise<void> {
      stopped = true;
      if (pollTimer) clearInterval(pollTimer);
      if (listenTimer) clearTimeout(listenTimer);
      const client = listener;
      listener = null;
      await client?.end().catch(() => {});
      while (looping || active.size > 0) {
        await Promise.all([...active]);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

export type JobWorker = ReturnType<typeof createJobWorker>;
