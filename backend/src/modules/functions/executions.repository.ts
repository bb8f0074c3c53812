// How runs are recorded: function_executions, function_logs and the function's counters, written together by one
// statement (one round trip, atomic), for one run or a batch of them (the HTTP trigger's group commit).
import type { Queryable, RuntimeLogLine } from '@selfdb/common';

export type ExecutionTrigger = 'http' | 'schedule' | 'database' | 'event' | 'webhook' | 'manual';
export type ExecutionStatus = 'completed' | 'failed' | 'timeout';

/** A finished run, as it is recorded. */
export interface ExecutionRecord {
  id: string;
  functionId: string;
  userId: string;
  triggerType: ExecutionTrigger;
  webhookDeliveryId: string | null;
  status: ExecutionStatus;
  startedAt: Date;
  completedAt: Date;
  durationMs: number;
  result: unknown;
  errorMessage: string | null;
  logs: RuntimeLogLine[];
}

/** A JSON value as jsonb input: `undefined` becomes null. */
const json = (value: unknown) => (value === undefined ? null : value);

/**
 * Records finished runs: each becomes a function_executions row (a new one, or the run's 'running' row finished;
 * a row that is already finished is left alone, so a run is never counted twice), its log lines one multi-row
 * insert, and the counters of its function as 0.0.5 keeps them (execution_count, success and error counts, the
 * running average of durations, last_executed_at). Returns the ids of the executions written.
 */
export async function recordExecutions(db: Queryable, records: ExecutionRecord[]): Promise<string[]> {
  if (records.length === 0) return [];
  const runs = records.map((r) => ({
    id: r.id,
    function_id: r.functionId,
    user_id: r.userId,
    trigger_type: r.triggerType,
    webhook_delivery_id: r.webhookDeliveryId,
    status: r.status,
    started_at: r.startedAt.toISOString(),
    completed_at: r.completedAt.toISOString(),
    duration_ms: Math.max(0, Math.round(r.durationMs)),
    result: json(r.result),
    error_message: r.errorMessage,
  }));
  const logs = records.flatMap((r) =>
    r.logs.map((line) => ({
      execution_id: r.id,
      log_level: line.level,
      message: line.message,
      timestamp: line.timestamp,
    })),
  );
  const { rows } = await db.query<{ id: string }>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
         id uuid, function_id uuid, user_id uuid, trigger_type text, webhook_delivery_id uuid, status text,
         started_at timestamptz, completed_at timestamptz, duration_ms int, result jsonb, error_message text)
     ), written AS (
       INSERT INTO function_executions AS e (id, function_id, user_id, trigger_type, webhook_delivery_id, status,
         started_at, completed_at, duration_ms, result, error_message)
       SELECT id, function_id, user_id, trigger_type, webhook_delivery_id, status, started_at, completed_at,
         duration_ms, result, error_message
       FROM input
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, completed_at = EXCLUDED.completed_at,
         duration_ms = EXCLUDED.duration_ms, result = EXCLUDED.result, error_message = EXCLUDED.error_message,
         updated_at = NOW()
       WHERE e.status = 'running' AND e.function_id = EXCLUDED.function_id
       RETURNING e.id, e.function_id, e.status, e.duration_ms, e.completed_at
     ), logged AS (
       INSERT INTO function_logs (execution_id, function_id, log_level, message, "timestamp")
       SELECT l.execution_id, w.function_id, l.log_level, l.message, COALESCE(l."timestamp", NOW())
       FROM jsonb_to_recordset($2::jsonb) AS l(execution_id uuid, log_level text, message text, "timestamp" timestamptz)
       JOIN written w ON w.id = l.execution_id
     ), agg AS (
       SELECT function_id, count(*)::int AS n, (count(*) FILTER (WHERE status = 'completed'))::int AS ok,
         COALESCE(sum(duration_ms), 0)::numeric AS total, max(completed_at) AS last
       FROM written GROUP BY function_id
     ), counted AS (
       UPDATE functions f SET
         execution_count = f.execution_count + agg.n,
         execution_success_count = f.execution_success_count + agg.ok,
         execution_error_count = f.execution_error_count + (agg.n - agg.ok),
         avg_execution_time_ms = round((COALESCE(f.avg_execution_time_ms, 0)::numeric * f.execution_count + agg.total)
           / (f.execution_count + agg.n))::int,
         last_executed_at = GREATEST(f.last_executed_at, agg.last)
       FROM agg WHERE f.id = agg.function_id
       RETURNING f.id
     )
     SELECT id FROM written`,
    [JSON.stringify(runs), JSON.stringify(logs)],
  );
  return rows.map((row) => row.id);
}

/** The 'running' row of a run about to start (runs from the queue: a lease that runs out finishes it as failed). */
export async function insertRunningExecution(
  db: Queryable,
  run: {
    id: string;
    functionId: string;
    userId: string;
    triggerType: ExecutionTrigger;
    webhookDeliveryId: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO function_executions (id, function_id, user_id, trigger_type, webhook_delivery_id, status)
     VALUES ($1, $2, $3, $4, $5, 'running')`,
    [run.id, run.functionId, run.userId, run.triggerType, run.webhookDeliveryId],
  );
}

/** When a run of an execution started (null: no such execution). */
export async function findExecutionStart(db: Queryable, id: string): Promise<Date | null> {
  const { rows } = await db.query<{ started_at: Date }>(
    'SELECT started_at FROM function_executions WHERE id = $1',
    [id],
  );
  return rows[0]?.started_at ?? null;
}

/** Adds log lines to a recorded execution (e.g. the events an emit chain too deep did not deliver). */
export async function appendLogs(
  db: Queryable,
  executionId: string,
  functionId: string,
  lines: RuntimeLogLine[],
): Promise<void> {
  if (lines.length === 0) return;
  await db.query(
    `INSERT INTO function_logs (execution_id, function_id, log_level, message, "timestamp")
     SELECT $1, $2, l.log_level, l.message, l."timestamp"
     FROM jsonb_to_recordset($3::jsonb) AS l(log_level text, message text, "timestamp" timestamptz)`,
    [
      executionId,
      functionId,
      JSON.stringify(lines.map((l) => ({ log_level: l.level, message: l.message, timestamp: l.timestamp }))),
    ],
  );
}
