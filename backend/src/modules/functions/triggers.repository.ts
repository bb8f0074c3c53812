// SQL of the trigger side of functions: the function rows runs need, the deployed triggers, single-flight claims
// of schedule ticks and `once` runs, and the cursor of database triggers over the realtime outbox.
import type { FunctionTrigger, Queryable } from '@selfdb/common';

/** What running a function needs of its row. */
export interface FunctionTarget {
  id: string;
  name: string;
  owner_id: string;
  is_active: boolean;
  deployment_status: string;
  /** The version the runtime should hold; null: never deployed. */
  deployed_version: number | null;
  timeout_seconds: number;
  env_vars: Record<string, string> | null;
  triggers: FunctionTrigger[];
}

/**
 * The version the runtime runs: `deployed_version`, or for a row of a 0.0.5 archive marked deployed (it has none),
 * its current version (as functions.dto.ts deployedVersionOf).
 */
export const DEPLOYED_VERSION = `COALESCE(deployed_version, CASE WHEN deployment_status = 'deployed' THEN version END)`;

const TARGET_COLUMNS = `id, name, owner_id, is_active, deployment_status, ${DEPLOYED_VERSION} AS deployed_version,
  timeout_seconds, env_vars,
  CASE WHEN jsonb_typeof(triggers) = 'array' THEN triggers ELSE '[]'::jsonb END AS triggers`;

export async function findFunctionTargetByName(db: Queryable, name: string): Promise<FunctionTarget | null> {
  const { rows } = await db.query<FunctionTarget>(`SELECT ${TARGET_COLUMNS} FROM functions WHERE name = $1`, [
    name,
  ]);
  return rows[0] ?? null;
}

export async function findFunctionTargetById(db: Queryable, id: string): Promise<FunctionTarget | null> {
  const { rows } = await db.query<FunctionTarget>(`SELECT ${TARGET_COLUMNS} FROM functions WHERE id = $1`, [
    id,
  ]);
  return rows[0] ?? null;
}

/** The code of one version (what a deploy pushes to the runtime). */
export async function findVersionCode(
  db: Queryable,
  functionId: string,
  version: number,
): Promise<string | null> {
  const { rows } = await db.query<{ code: string }>(
    'SELECT code FROM function_versions WHERE function_id = $1 AND version = $2',
    [functionId, version],
  );
  return rows[0]?.code ?? null;
}

/** A deployed, active function and what schedules, `once` and database triggers need of it. */
export interface TriggeredFunction {
  id: string;
  name: string;
  deployed_version: number;
  triggers: FunctionTrigger[];
  /** When the deployed version was written: a `once` trigger runs once per version (the claim's scheduled_for). */
  version_created_at: Date;
}

/** Every active, deployed function that declares a schedule, `once` or database trigger. */
export async function listTriggeredFunctions(db: Queryable): Promise<TriggeredFunction[]> {
  const { rows } = await db.query<TriggeredFunction>(
    `SELECT f.id, f.name, f.deployed_version, f.triggers,
       COALESCE(v.created_at, f.last_deployed_at, f.created_at, 'epoch'::timestamptz) AS version_created_at
     FROM functions f
     LEFT JOIN function_versions v ON v.function_id = f.id AND v.version = f.deployed_version
     WHERE f.is_active AND f.deployed_version IS NOT NULL AND jsonb_typeof(f.triggers) = 'array'
       AND (f.triggers @> '[{"type":"schedule"}]' OR f.triggers @> '[{"type":"once"}]'
            OR f.triggers @> '[{"type":"database"}]')
     ORDER BY f.id`,
  );
  return rows;
}

/** Active, deployed functions with a database trigger (read inside the dispatch transaction). */
export async function listDatabaseTriggered(
  db: Queryable,
): Promise<Array<{ id: string; triggers: FunctionTrigger[] }>> {
  const { rows } = await db.query<{ id: string; triggers: FunctionTrigger[] }>(
    `SELECT id, triggers FROM functions
     WHERE is_active AND deployed_version IS NOT NULL AND jsonb_typeof(triggers) = 'array'
       AND triggers @> '[{"type":"database"}]'`,
  );
  return rows;
}

/**
 * Claims one tick of one trigger for this process: true for exactly one claimer of (function, trigger, tick)
 * across every process (the primary key of selfdb.function_trigger_runs).
 */
export async function claimTriggerRun(
  db: Queryable,
  functionId: string,
  triggerKey: string,
  scheduledFor: Date,
  claimedBy: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO selfdb.function_trigger_runs (function_id, trigger_key, scheduled_for, claimed_by)
     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [functionId, triggerKey, scheduledFor, claimedBy],
  );
  return rowCount === 1;
}

/** Deletes claims of schedule ticks older than `days` (a `once` claim is kept while its function lives). */
export async function pruneTriggerRuns(db: Queryable, days: number): Promise<void> {
  await db.query(
    `DELETE FROM selfdb.function_trigger_runs
     WHERE trigger_key <> 'once' AND scheduled_for < NOW() - make_interval(days => $1)`,
    [days],
  );
}

/** Turns change capture on for a table a database trigger names (unbroadcast when its realtime is off). */
export async function captureForFunctions(db: Queryable, table: string): Promise<boolean> {
  const { rows } = await db.query<{ armed: boolean | null }>(
    `SELECT CASE WHEN to_regclass(format('public.%I', $1::text)) IS NULL THEN NULL
              ELSE realtime.capture_for_functions(to_regclass(format('public.%I', $1::text))) END AS armed`,
    [table],
  );
  return rows[0]?.armed === true;
}

/** Drops capture kept only for functions on realtime-off tables no deployed function listens to any more. */
export async function releaseFunctionCapture(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ released: number }>(
    'SELECT realtime.release_function_capture() AS released',
  );
  return rows[0]?.released ?? 0;
}

/** The last outbox seq database triggers have dispatched; null before the first start. */
export async function readTriggerCursor(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ last_seq: number }>(
    'SELECT last_seq FROM selfdb.function_trigger_cursor WHERE id',
  );
  return rows[0] ? Number(rows[0].last_seq) : null;
}

/** The first start's position (the outbox head): kept unless another process stored one first. */
export async function initTriggerCursor(db: Queryable, position: number): Promise<void> {
  await db.query(
    'INSERT INTO selfdb.function_trigger_cursor (id, last_seq) VALUES (TRUE, $1) ON CONFLICT (id) DO NOTHING',
    [position],
  );
}

/** Locks the cursor for a dispatch (one dispatcher at a time across processes) and reads it. */
export async function lockTriggerCursor(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ last_seq: number }>(
    'SELECT last_seq FROM selfdb.function_trigger_cursor WHERE id FOR UPDATE',
  );
  if (!rows[0]) throw new Error('the database trigger cursor is missing');
  return Number(rows[0].last_seq);
}

export async function advanceTriggerCursor(db: Queryable, seq: number): Promise<void> {
  await db.query('UPDATE selfdb.function_trigger_cursor SET last_seq = GREATEST(last_seq, $1) WHERE id', [
    seq,
  ]);
}
