// The durable job queue of function runs (selfdb.function_jobs, migrations 0035 and 0037): webhook deliveries,
// events, database changes, schedule ticks and `once` runs. Jobs are claimed with FOR UPDATE SKIP LOCKED under a
// lease (locked_by/locked_until), so any number of backend processes share the queue and a run survives a restart.
import type { Queryable } from '@selfdb/common';
import type { ExecutionTrigger } from './executions.repository.ts';

/** NOTIFY channel that wakes the workers when a job is enqueued (sent on commit of the enqueuing transaction). */
export const JOBS_CHANNEL = 'selfdb_function_jobs';

export interface NewJob {
  functionId: string;
  /** How the run is recorded (function_executions.trigger_type; a `once` run is 'manual'). */
  triggerType: ExecutionTrigger;
  /** What the function receives as the JSON body of its request. */
  payload: unknown;
  /** The webhook delivery this job runs: the worker keeps that row (and its webhook's counters) up to date. */
  webhookDeliveryId?: string | null;
  /** Attempts allowed in all (1: no retry). */
  maxAttempts: number;
  /** Delay before the first retry; each further retry doubles it (delay × 2^(attempt-1)). */
  retryDelaySeconds: number;
  /** Not before this time (default: now). */
  runAt?: Date;
  /** Depth of an emit chain (events emitted by runs of events); 0 for anything else. */
  depth?: number;
}

/**
 * Enqueues one run, inside the caller's transaction when `db` is a transaction's client: the job, and for a
 * webhook delivery its status 'queued', commit or roll back with the caller's work. Workers are woken on commit.
 * Returns the job's id.
 */
export async function enqueueJob(db: Queryable, job: NewJob): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `WITH job AS (
       INSERT INTO selfdb.function_jobs (function_id, trigger_type, payload, webhook_delivery_id, max_attempts,
         retry_delay_seconds, run_at, depth)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, COALESCE($7::timestamptz, NOW()), $8)
       RETURNING id, run_at
     ), queued AS (
       UPDATE webhook_deliveries d SET status = 'queued', updated_at = NOW(),
         next_retry_at = CASE WHEN job.run_at > NOW() THEN job.run_at END
       FROM job WHERE d.id = $4::uuid
     )
     SELECT id::text, pg_notify('${JOBS_CHANNEL}', id::text) FROM job`,
    [
      job.functionId,
      job.triggerType,
      JSON.stringify(job.payload ?? null),
      job.webhookDeliveryId ?? null,
      Math.max(1, Math.floor(job.maxAttempts)),
      Math.max(0, Math.floor(job.retryDelaySeconds)),
      job.runAt ?? null,
      job.depth ?? 0,
    ],
  );
  return rows[0]!.id;
}

/** Enqueues many runs with one statement (database changes); returns how many. */
export async function enqueueJobs(db: Queryable, jobs: NewJob[]): Promise<number> {
  if (jobs.length === 0) return 0;
  const input = jobs.map((job) => ({
    function_id: job.functionId,
    trigger_type: job.triggerType,
    payload: job.payload ?? null,
    max_attempts: Math.max(1, Math.floor(job.maxAttempts)),
    retry_delay_seconds: Math.max(0, Math.floor(job.retryDelaySeconds)),
    depth: job.depth ?? 0,
  }));
  const { rows } = await db.query<{ n: number }>(
    `WITH job AS (
       INSERT INTO selfdb.function_jobs (function_id, trigger_type, payload, max_attempts, retry_delay_seconds, depth)
       SELECT function_id, trigger_type, COALESCE(payload, 'null'::jsonb), max_attempts, retry_delay_seconds, depth
       FROM jsonb_to_recordset($1::jsonb) AS x(function_id uuid, trigger_type text, payload jsonb, max_attempts int,
         retry_delay_seconds int, depth int)
       RETURNING id
     )
     SELECT count(*)::int AS n, pg_notify('${JOBS_CHANNEL}', '') FROM job`,
    [JSON.stringify(input)],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Enqueues one run of every active, deployed function subscribed to each event ({type:'event', event}); returns
 * how many runs were enqueued.
 */
export async function enqueueEventJobs(
  db: Queryable,
  events: Array<{ event: string; data: unknown }>,
  job: { depth: number; maxAttempts: number; retryDelaySeconds: number },
): Promise<number> {
  if (events.length === 0) return 0;
  const { rows } = await db.query<{ n: number }>(
    `WITH input AS (
       SELECT e.ord, e.value ->> 'event' AS event, e.value -> 'data' AS data
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(value, ord)
     ), job AS (
       INSERT INTO selfdb.function_jobs (function_id, trigger_type, payload, max_attempts, retry_delay_seconds, depth)
       SELECT f.id, 'event', jsonb_build_object('event', i.event, 'data', i.data), $3, $4, $2
       FROM input i
       JOIN functions f ON f.is_active AND f.deployed_version IS NOT NULL AND jsonb_typeof(f.triggers) = 'array'
         AND f.triggers @> jsonb_build_array(jsonb_build_object('type', 'event', 'event', i.event))
       ORDER BY i.ord, f.id
       RETURNING id
     )
     SELECT count(*)::int AS n, pg_notify('${JOBS_CHANNEL}', '') FROM job`,
    [
      JSON.stringify(events.map((e) => ({ event: e.event, data: e.data ?? null }))),
      job.depth,
      job.maxAttempts,
      job.retryDelaySeconds,
    ],
  );
  return rows[0]?.n ?? 0;
}

export interface ClaimedJob {
  id: string;
  function_id: string;
  trigger_type: ExecutionTrigger;
  payload: unknown;
  webhook_delivery_id: string | null;
  /** Including this one. */
  attempts: number;
  max_attempts: number;
  retry_delay_seconds: number;
  depth: number;
  /** The 'running' execution of this attempt; null when the function may not run (inactive, never deployed). */
  execution_id: string | null;
  owner_id: string;
}

/**
 * Claims up to `limit` due jobs for `workerId`, each under a lease of its function's timeout plus `marginSeconds`,
 * and in the same statement starts their runs: a 'running' execution each, and a webhook delivery goes 'executing'
 * (a retry counts in its delivery_attempt and retry_count).
 */
export async function claimJobs(
  db: Queryable,
  workerId: string,
  limit: number,
  marginSeconds: number,
): Promise<ClaimedJob[]> {
  const { rows } = await db.query<ClaimedJob>(
    `WITH picked AS (
       SELECT j.id FROM selfdb.function_jobs j
       WHERE j.run_at <= NOW() AND j.locked_until IS NULL
       ORDER BY j.run_at, j.id
       LIMIT $2
       FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE selfdb.function_jobs j SET attempts = j.attempts + 1, locked_by = $1,
         locked_until = NOW() + make_interval(secs => f.timeout_seconds + $3),
         execution_id = CASE WHEN f.is_active AND (f.deployed_version IS NOT NULL OR f.deployment_status = 'deployed')
           THEN gen_random_uuid() END
       FROM picked, functions f
       WHERE j.id = picked.id AND f.id = j.function_id
       RETURNING j.id::text, j.function_id, j.trigger_type, j.payload, j.webhook_delivery_id, j.attempts,
         j.max_attempts, j.retry_delay_seconds, j.depth, j.execution_id, f.owner_id
     ), running AS (
       INSERT INTO function_executions (id, function_id, user_id, trigger_type, webhook_delivery_id, status)
       SELECT execution_id, function_id, owner_id, trigger_type, webhook_delivery_id, 'running'
       FROM claimed WHERE execution_id IS NOT NULL
     ), delivering AS (
       UPDATE webhook_deliveries d SET status = 'executing', processing_started_at = NOW(),
         processing_completed_at = NULL, next_retry_at = NULL, function_execution_id = c.execution_id,
         delivery_attempt = d.delivery_attempt + CASE WHEN c.attempts > 1 THEN 1 ELSE 0 END,
         retry_count = d.retry_count + CASE WHEN c.attempts > 1 THEN 1 ELSE 0 END,
         updated_at = NOW()
       FROM claimed c WHERE d.id = c.webhook_delivery_id AND c.execution_id IS NOT NULL
     )
     SELECT * FROM claimed`,
    [workerId, limit, marginSeconds],
  );
  return rows;
}

/** Locks a claimed job for its outcome; false when this worker's lease was lost (the reaper took the job). */
export async function lockOwnJob(
  db: Queryable,
  jobId: string,
  workerId: string,
  executionId: string | null,
): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM selfdb.function_jobs
     WHERE id = $1 AND locked_by = $2 AND execution_id IS NOT DISTINCT FROM $3::uuid FOR UPDATE`,
    [jobId, workerId, executionId],
  );
  return rows.length === 1;
}

/** Jobs whose lease ran out (the process running them, or the runtime, died mid-run), locked for the reaper. */
export async function lockExpiredJobs(db: Queryable, limit: number): Promise<ClaimedJob[]> {
  const { rows } = await db.query<ClaimedJob>(
    `SELECT j.id::text, j.function_id, j.trigger_type, j.payload, j.webhook_delivery_id, j.attempts, j.max_attempts,
       j.retry_delay_seconds, j.depth, j.execution_id, f.owner_id
     FROM selfdb.function_jobs j JOIN functions f ON f.id = j.function_id
     WHERE j.locked_until < NOW()
     ORDER BY j.locked_until
     LIMIT $1
     FOR UPDATE OF j SKIP LOCKED`,
    [limit],
  );
  return rows;
}

export async function deleteJob(db: Queryable, jobId: string): Promise<void> {
  await db.query('DELETE FROM selfdb.function_jobs WHERE id = $1', [jobId]);
}

/** Puts a failed attempt back in the queue after its backoff (delay × 2^(attempts-1)); returns when it runs. */
export async function retryJobLater(db: Queryable, jobId: string, error: string): Promise<Date> {
  const { rows } = await db.query<{ run_at: Date }>(
    `UPDATE selfdb.function_jobs SET locked_by = NULL, locked_until = NULL, execution_id = NULL, last_error = $2,
       run_at = NOW() + make_interval(secs => retry_delay_seconds * power(2, GREATEST(attempts - 1, 0)))
     WHERE id = $1 RETURNING run_at`,
    [jobId, error],
  );
  return rows[0]!.run_at;
}

/** The earliest time a job becomes due (null: none waiting), so an idle worker knows when to look again. */
export async function nextJobDue(db: Queryable): Promise<Date | null> {
  const { rows } = await db.query<{ due: Date | null }>(
    'SELECT min(run_at) AS due FROM selfdb.function_jobs WHERE locked_until IS NULL',
  );
  return rows[0]?.due ?? null;
}

export type DeliveryStatus = 'completed' | 'failed' | 'retry_pending';

/**
 * Writes the outcome of an attempt on its webhook delivery, and on a final one (completed, failed) the webhook's
 * counters; last_delivery_status and last_received_at follow every outcome.
 */
export async function updateDelivery(
  db: Queryable,
  deliveryId: string,
  outcome: {
    status: DeliveryStatus;
    executionId: string | null;
    result: unknown;
    errorMessage: string | null;
    executionTimeMs: number | null;
    responseStatusCode: number | null;
    nextRetryAt: Date | null;
  },
): Promise<void> {
  await db.query(
    `WITH delivery AS (
       UPDATE webhook_deliveries SET status = $2::varchar,
         processing_completed_at = CASE WHEN $2::varchar = 'retry_pending' THEN NULL ELSE NOW() END,
         function_execution_id = COALESCE($3::uuid, function_execution_id),
         execution_result = $4::jsonb, error_message = $5, execution_time_ms = $6, response_status_code = $7,
         next_retry_at = $8, updated_at = NOW()
       WHERE id = $1
       RETURNING webhook_id, received_at
     )
     UPDATE webhooks w SET last_delivery_status = $2::varchar,
       last_received_at = GREATEST(w.last_received_at, d.received_at),
       successful_delivery_count = COALESCE(w.successful_delivery_count, 0) + CASE WHEN $2::varchar = 'completed' THEN 1 ELSE 0 END,
       failed_delivery_count = COALESCE(w.failed_delivery_count, 0) + CASE WHEN $2::varchar = 'failed' THEN 1 ELSE 0 END,
       updated_at = NOW()
     FROM delivery d WHERE w.id = d.webhook_id`,
    [
      deliveryId,
      outcome.status,
      outcome.executionId,
      JSON.stringify(outcome.result ?? null),
      outcome.errorMessage,
      outcome.executionTimeMs === null ? null : Math.round(outcome.executionTimeMs),
      outcome.responseStatusCode,
      outcome.nextRetryAt,
    ],
  );
}
