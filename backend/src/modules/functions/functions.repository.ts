import type { FunctionTrigger, Queryable } from '@selfdb/common';
import { searchPattern } from '../../db/like.ts';

/** A row of `functions` (migration 0035: 0.0.5's columns plus `triggers` and `deployed_version`). */
export interface FunctionRow {
  id: string;
  name: string;
  description: string | null;
  code: string;
  owner_id: string;
  is_active: boolean;
  deployment_status: 'pending' | 'deployed' | 'failed' | 'undeployed';
  deployment_error: string | null;
  version: number;
  timeout_seconds: number;
  /** Strings from our API; an archive of 0.0.5 may hold other JSON values. */
  env_vars: Record<string, unknown> | null;
  execution_count: number;
  execution_success_count: number;
  execution_error_count: number;
  last_executed_at: Date | null;
  avg_execution_time_ms: number | null;
  last_deployed_at: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
  triggers: FunctionTrigger[];
  deployed_version: number | null;
}

export interface FunctionExecutionRow {
  id: string;
  function_id: string;
  user_id: string;
  trigger_type: string;
  webhook_delivery_id: string | null;
  status: string;
  started_at: Date;
  completed_at: Date | null;
  duration_ms: number | null;
  result: unknown;
  error_message: string | null;
  created_at: Date | null;
}

export interface FunctionLogRow {
  id: string;
  execution_id: string;
  function_id: string;
  log_level: string;
  message: string;
  timestamp: Date;
}

export type FunctionSortColumn =
  'created_at' | 'updated_at' | 'name' | 'last_executed_at' | 'execution_count';

export interface FunctionChanges {
  name?: string;
  description?: string | null;
  code?: string;
  timeout_seconds?: number;
  is_active?: boolean;
  env_vars?: Record<string, string>;
}

const COLUMNS = `id, name, description, code, owner_id, is_active, deployment_status, deployment_error, version,
  timeout_seconds, env_vars, execution_count, execution_success_count, execution_error_count, last_executed_at,
  avg_execution_time_ms, last_deployed_at, created_at, updated_at, triggers, deployed_version`;
// Whitelist of columns a PATCH may set (keys are never taken from request text). `code` is not here: a code change
// is a new version (`updateFunctionCode`).
const UPDATABLE: ReadonlyArray<Exclude<keyof FunctionChanges, 'code'>> = [
  'name',
  'description',
  'timeout_seconds',
  'is_active',
  'env_vars',
];
/**
 * A row restored from 0.0.5 says `deployed` without a `deployed_version`: its current version is the deployed one.
 * Made explicit (from the old values) by any change of status, so the status can move on without losing it.
 */
const KEEP_DEPLOYED_VERSION =
  "COALESCE(deployed_version, CASE WHEN deployment_status = 'deployed' THEN version END)";
const SEARCH = '($1::text IS NULL OR name ILIKE $1 OR description ILIKE $1)';

export async function findFunctionById(db: Queryable, id: string, lock = false): Promise<FunctionRow | null> {
  const { rows } = await db.query<FunctionRow>(
    `SELECT ${COLUMNS} FROM functions WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function findFunctionByName(db: Queryable, name: string): Promise<FunctionRow | null> {
  const { rows } = await db.query<FunctionRow>(`SELECT ${COLUMNS} FROM functions WHERE name = $1`, [name]);
  return rows[0] ?? null;
}

/** Inserts a function at version 1 (and its version row); null when the name is taken. */
export async function insertFunction(
  db: Queryable,
  fn: {
    name: string;
    description: string | null;
    code: string;
    ownerId: string;
    timeoutSeconds: number;
    envVars: Record<string, string>;
  },
): Promise<FunctionRow | null> {
  const { rows } = await db.query<FunctionRow>(
    `INSERT INTO functions (name, description, code, owner_id, timeout_seconds, env_vars, deployment_status, version)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 1)
     ON CONFLICT (name) DO NOTHING
     RETURNING ${COLUMNS}`,
    [fn.name, fn.description, fn.code, fn.ownerId, fn.timeoutSeconds, JSON.stringify(fn.envVars)],
  );
  const row = rows[0];
  if (row) await insertFunctionVersion(db, row.id, row.version, row.code, fn.ownerId);
  return row ?? null;
}

export async function insertFunctionVersion(
  db: Queryable,
  functionId: string,
  version: number,
  code: string,
  createdBy: string | null,
): Promise<void> {
  await db.query(
    `INSERT INTO function_versions (function_id, version, code, created_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (function_id, version) DO UPDATE SET code = EXCLUDED.code, created_by = EXCLUDED.created_by`,
    [functionId, version, code, createdBy],
  );
}

/** The code of one version; null when that version has no row. */
export async function findFunctionVersionCode(
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

export async function listFunctions(
  db: Queryable,
  query: {
    limit: number;
    offset: number;
    search?: string;
    sortBy: FunctionSortColumn;
    sortOrder: 'asc' | 'desc';
  },
): Promise<FunctionRow[]> {
  const order = query.sortOrder === 'asc' ? 'ASC' : 'DESC';
  // sortBy is a FunctionSortColumn (validated against an enum), so it is safe as an identifier.
  const { rows } = await db.query<FunctionRow>(
    `SELECT ${COLUMNS} FROM functions WHERE ${SEARCH}
     ORDER BY ${query.sortBy} ${order} NULLS LAST, id ${order}
     OFFSET $2 LIMIT $3`,
    [searchPattern(query.search), query.offset, query.limit],
  );
  return rows;
}

export async function countFunctions(db: Queryable, search?: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM functions WHERE ${SEARCH}`,
    [searchPattern(search)],
  );
  return rows[0]?.count ?? 0;
}

/**
 * Updates the given columns (not the code); returns the new row, or null when the function does not exist. A
 * taken name surfaces as the unique violation of `functions_name_key` (23505).
 */
export async function updateFunction(
  db: Queryable,
  id: string,
  changes: Omit<FunctionChanges, 'code'>,
): Promise<FunctionRow | null> {
  const columns = UPDATABLE.filter((column) => changes[column] !== undefined);
  if (columns.length === 0) return findFunctionById(db, id);
  const values = columns.map((column) =>
    column === 'env_vars' ? JSON.stringify(changes.env_vars) : changes[column],
  );
  const assignments = columns.map((column, index) => `${column} = $${index + 2}`).join(', ');
  const { rows } = await db.query<FunctionRow>(
    `UPDATE functions SET ${assignments}, updated_at = NOW() WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, ...values],
  );
  return rows[0] ?? null;
}

/** A new code version: `version + 1`, status `pending` (0.0.5), and its `function_versions` row. */
export async function updateFunctionCode(
  db: Queryable,
  id: string,
  code: string,
  createdBy: string | null,
): Promise<FunctionRow | null> {
  const { rows } = await db.query<FunctionRow>(
    `UPDATE functions SET code = $2, version = version + 1, deployment_status = 'pending', updated_at = NOW(),
       deployed_version = ${KEEP_DEPLOYED_VERSION}
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, code],
  );
  const row = rows[0];
  if (row) await insertFunctionVersion(db, row.id, row.version, code, createdBy);
  return row ?? null;
}

/** Deletes a function (its versions, webhooks, executions, logs, deliveries and jobs cascade); the row it was. */
export async function deleteFunction(db: Queryable, id: string): Promise<FunctionRow | null> {
  const { rows } = await db.query<FunctionRow>(`DELETE FROM functions WHERE id = $1 RETURNING ${COLUMNS}`, [
    id,
  ]);
  return rows[0] ?? null;
}

/**
 * Records a successful deploy of `version`: it becomes the deployed version with the triggers the runtime read.
 * The status says `deployed` only when `version` is still the latest (an edit made during the deploy stays
 * `pending`).
 */
export async function markFunctionDeployed(
  db: Queryable,
  id: string,
  version: number,
  triggers: FunctionTrigger[],
): Promise<FunctionRow | null> {
  const { rows } = await db.query<FunctionRow>(
    `UPDATE functions SET deployed_version = $2, triggers = $3, last_deployed_at = NOW(), updated_at = NOW(),
       deployment_status = CASE WHEN version = $2 THEN 'deployed' ELSE deployment_status END,
       deployment_error = CASE WHEN version = $2 THEN NULL ELSE deployment_error END
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, version, JSON.stringify(triggers)],
  );
  return rows[0] ?? null;
}

/** Records a failed deploy of `version` (when it is still the latest); the deployed version is untouched. */
export async function markFunctionDeployFailed(
  db: Queryable,
  id: string,
  version: number,
  error: string,
): Promise<FunctionRow | null> {
  const { rows } = await db.query<FunctionRow>(
    `UPDATE functions SET deployment_status = 'failed', deployment_error = $3, updated_at = NOW(),
       deployed_version = ${KEEP_DEPLOYED_VERSION}
     WHERE id = $1 AND version = $2 RETURNING ${COLUMNS}`,
    [id, version, error],
  );
  return rows[0] ?? findFunctionById(db, id);
}

/**
 * The active functions that have a deployed version, the ones the runtime must hold. A 0.0.5 row marked
 * `deployed` has no `deployed_version`: its current version counts as deployed.
 */
export async function listDeployedFunctions(db: Queryable): Promise<FunctionRow[]> {
  const { rows } = await db.query<FunctionRow>(
    `SELECT ${COLUMNS} FROM functions
     WHERE is_active AND (deployed_version IS NOT NULL OR deployment_status = 'deployed')
     ORDER BY name`,
  );
  return rows;
}

export async function listExecutions(
  db: Queryable,
  functionId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: FunctionExecutionRow[]; total: number }> {
  const { rows } = await db.query<FunctionExecutionRow & { total: number }>(
    `SELECT id, function_id, user_id, trigger_type, webhook_delivery_id, status, started_at, completed_at,
       duration_ms, result, error_message, created_at, count(*) OVER ()::int AS total
     FROM function_executions WHERE function_id = $1
     ORDER BY created_at DESC NULLS LAST, started_at DESC, id DESC
     OFFSET $2 LIMIT $3`,
    [functionId, page.offset, page.limit],
  );
  const total = rows[0]?.total ?? (await countExecutions(db, functionId));
  return { rows, total };
}

async function countExecutions(db: Queryable, functionId: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM function_executions WHERE function_id = $1',
    [functionId],
  );
  return rows[0]?.count ?? 0;
}

export async function listLogs(
  db: Queryable,
  functionId: string,
  page: { limit: number; offset: number; level?: string },
): Promise<{ rows: FunctionLogRow[]; total: number }> {
  const where = 'function_id = $1 AND ($2::text IS NULL OR log_level = $2)';
  const level = page.level ?? null;
  const { rows } = await db.query<FunctionLogRow>(
    `SELECT id, execution_id, function_id, log_level, message, "timestamp" FROM function_logs WHERE ${where}
     ORDER BY "timestamp" DESC, id DESC OFFSET $3 LIMIT $4`,
    [functionId, level, page.offset, page.limit],
  );
  const counted = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM function_logs WHERE ${where}`,
    [functionId, level],
  );
  return { rows, total: counted.rows[0]?.count ?? 0 };
}

/** Held (per transaction) by the backend that prunes executions and logs; the others skip their turn. */
const PRUNE_LOCK_KEY = 7302150412;

/**
 * Deletes executions and log lines older than `days` days, at most `batch` rows of each (the caller repeats
 * while something was deleted); null when another backend holds the prune lock.
 */
export async function pruneFunctionHistory(
  db: Queryable,
  days: number,
  batch: number,
): Promise<{ executions: number; logs: number } | null> {
  const { rows: lock } = await db.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_xact_lock($1) AS locked',
    [PRUNE_LOCK_KEY],
  );
  if (!lock[0]?.locked) return null;
  const logs = await db.query(
    `DELETE FROM function_logs WHERE id IN (
       SELECT id FROM function_logs WHERE "timestamp" < NOW() - make_interval(days => $1) LIMIT $2)`,
    [days, batch],
  );
  // An execution's remaining log lines go with it (ON DELETE CASCADE).
  const executions = await db.query(
    `DELETE FROM function_executions WHERE id IN (
       SELECT id FROM function_executions
       WHERE COALESCE(completed_at, started_at, created_at) < NOW() - make_interval(days => $1) LIMIT $2)`,
    [days, batch],
  );
  return { executions: executions.rowCount ?? 0, logs: logs.rowCount ?? 0 };
}
