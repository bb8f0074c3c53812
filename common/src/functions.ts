import { createHmac } from 'node:crypto';

// The functions runtime's wire contract (functions/ service ↔ backend): one definition, so the two sides cannot
// drift. The runtime is internal (never published); every request carries FUNCTIONS_KEY_HEADER. It keeps no state
// of its own: the backend pushes each deployed version to it (on deploy, and again whenever the runtime reports
// that it does not hold it, e.g. after a restart), so deployed code lives only in the database.
//
//   GET    /health                      → { status: 'ok', boot_id, functions }
//   PUT    /functions/:name             body RuntimeDeployRequest → 200 RuntimeDeployResult
//                                       | 422 {detail, code: 'FUNCTION_INVALID'} (code does not load; nothing replaced)
//   DELETE /functions/:name             → 204 (also when absent)
//   POST   /functions/:name/run         body RuntimeRunRequest → 200 RuntimeRunResult
//                                       | 404 {detail, code: 'FUNCTION_NOT_DEPLOYED'} (push the code, then retry)
//                                       | 409 {detail, code: 'FUNCTION_VERSION_MISMATCH'} (ditto)
// Any other failure answers {detail, code} with a 4xx/5xx status.

/** Header carrying the shared secret of backend → runtime calls. */
export const FUNCTIONS_KEY_HEADER = 'x-functions-key';

/**
 * The secret the backend sends to the functions runtime: FUNCTIONS_SERVICE_KEY when set, else derived from
 * SECRET_KEY (as storageServiceKey), so a default install needs no extra variable.
 */
export function functionsServiceKey(secretKey: string, explicitKey?: string): string {
  if (explicitKey) return explicitKey;
  return createHmac('sha256', secretKey).update('selfdb-functions-service-key').digest('hex');
}

/** 0.0.5's function name rule (FunctionCreate.name). */
export const FUNCTION_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9_-]*$/;

/** A trigger as a module declares it (`export const triggers = [...]`); without the export: [{ type: 'http' }]. */
export type FunctionTrigger =
  | { type: 'http'; method?: string | string[] }
  | { type: 'schedule'; cron: string; name?: string }
  | { type: 'database'; table: string; operations?: ('INSERT' | 'UPDATE' | 'DELETE')[]; channel?: string }
  | { type: 'event'; event: string }
  | { type: 'webhook' }
  | { type: 'once' };

export interface RuntimeDeployRequest {
  version: number;
  code: string;
  /** The function's own env_vars: all it sees as `context.env` (never the host's environment). */
  env: Record<string, string>;
  timeoutSeconds: number;
}

export interface RuntimeDeployResult {
  name: string;
  version: number;
  /** What the module exports, validated: `triggers` (defaulted), `description`, `runOnce`. */
  triggers: FunctionTrigger[];
  description: string | null;
  runOnce: boolean;
}

/** The request the function receives as its first argument (a `Request`). Bodies are base64. */
export interface RuntimeHttpRequest {
  method: string;
  /** Path after `/functions/{name}/invoke` (at least '/'), with the query string. */
  path: string;
  headers: Record<string, string>;
  bodyBase64: string | null;
}

export interface RuntimeRunRequest {
  /** The version the caller expects to run: a runtime holding another answers 409. */
  version: number;
  executionId: string;
  triggerType: 'http' | 'schedule' | 'database' | 'event' | 'webhook' | 'manual';
  /** For `http`: the caller's request. For the others the function gets a POST whose JSON body is `payload`. */
  request?: RuntimeHttpRequest;
  payload?: unknown;
  /** The signed-in caller, when one sent a token (http), passed to the function as `context.user`. */
  user?: { id: string; email: string; role: string } | null;
  deliveryId?: string | null;
}

export interface RuntimeLogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  /** ISO time. */
  timestamp: string;
}

export interface RuntimeRunResult {
  status: 'completed' | 'failed' | 'timeout';
  durationMs: number;
  /** The function's answer as an HTTP response (a returned Response, or a returned value as JSON). */
  response: { status: number; headers: Record<string, string>; bodyBase64: string } | null;
  /** A returned plain value (JSON), as 0.0.5 records it in function_executions.result. */
  result: unknown;
  /** Why the run failed or timed out: the thrown error's message, 'timed out after Ns', 'memory limit', … */
  error: string | null;
  logs: RuntimeLogLine[];
  /** Events the function emitted with `context.emit(event, data)`, run afterwards by their subscribers. */
  events: { event: string; data: unknown }[];
}
