import type { FunctionTrigger } from '@selfdb/common';
import type { FunctionExecutionRow, FunctionLogRow, FunctionRow } from './functions.repository.ts';

/** SelfDB 0.0.5's FunctionRead, plus the triggers and the version that is deployed (docs/compatibility.md). */
export interface FunctionDto {
  id: string;
  name: string;
  description: string | null;
  timeout_seconds: number;
  code: string;
  owner_id: string;
  is_active: boolean;
  deployment_status: string;
  deployment_error: string | null;
  version: number;
  env_vars: Record<string, unknown>;
  execution_count: number;
  execution_success_count: number;
  execution_error_count: number;
  last_executed_at: string | null;
  avg_execution_time_ms: number | null;
  last_deployed_at: string | null;
  created_at: string | null;
  updated_at: string | null;
  deployed_version: number | null;
  triggers: FunctionTrigger[];
}

export interface FunctionExecutionDto {
  id: string;
  function_id: string;
  user_id: string;
  trigger_type: string;
  status: string;
  started_at: string;
  completed_at: string | null;
  duration_ms: number | null;
  result: Record<string, unknown> | null;
  error_message: string | null;
  created_at: string;
}

export interface FunctionLogDto {
  id: string;
  execution_id: string;
  function_id: string;
  log_level: string;
  message: string;
  timestamp: string;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The version the runtime runs: `deployed_version`, or for a 0.0.5 row marked `deployed`, its current one. */
export function deployedVersionOf(row: FunctionRow): number | null {
  return row.deployed_version ?? (row.deployment_status === 'deployed' ? row.version : null);
}

export function toFunctionDto(row: FunctionRow): FunctionDto {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    timeout_seconds: row.timeout_seconds,
    code: row.code,
    owner_id: row.owner_id,
    is_active: row.is_active,
    deployment_status: row.deployment_status,
    deployment_error: row.deployment_error,
    version: row.version,
    env_vars: row.env_vars ?? {},
    execution_count: row.execution_count,
    execution_success_count: row.execution_success_count,
    execution_error_count: row.execution_error_count,
    last_executed_at: iso(row.last_executed_at),
    avg_execution_time_ms: row.avg_execution_time_ms,
    last_deployed_at: iso(row.last_deployed_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    deployed_version: deployedVersionOf(row),
    triggers: Array.isArray(row.triggers) ? row.triggers : [],
  };
}

/**
 * 0.0.5 types `result` as an object or null; a function may return any JSON, which is wrapped as `{value}` when it
 * is not an object.
 */
function resultObject(result: unknown): Record<string, unknown> | null {
  if (result === null || result === undefined) return null;
  if (typeof result === 'object' && !Array.isArray(result)) return result as Record<string, unknown>;
  return { value: result };
}

export function toExecutionDto(row: FunctionExecutionRow): FunctionExecutionDto {
  return {
    id: row.id,
    function_id: row.function_id,
    user_id: row.user_id,
    trigger_type: row.trigger_type,
    status: row.status,
    started_at: row.started_at.toISOString(),
    completed_at: iso(row.completed_at),
    duration_ms: row.duration_ms,
    result: resultObject(row.result),
    error_message: row.error_message,
    created_at: (row.created_at ?? row.started_at).toISOString(),
  };
}

export function toLogDto(row: FunctionLogRow): FunctionLogDto {
  return {
    id: row.id,
    execution_id: row.execution_id,
    function_id: row.function_id,
    log_level: row.log_level,
    message: row.message,
    timestamp: row.timestamp.toISOString(),
  };
}
