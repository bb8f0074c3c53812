// The request-facing side of function triggers: the HTTP trigger (invoke), 0.0.5's execution-result callback, and
// events sent through the API. No Fastify types here; routes translate requests into these calls.
import { randomUUID } from 'node:crypto';
import {
  type Actor,
  AppError,
  ErrorCode,
  ERRORS,
  isAdmin,
  type Pool,
  type RuntimeLogLine,
} from '@selfdb/common';
import { recordExecutions } from './executions.repository.ts';
import { enqueueEventJobs } from './jobs.repository.ts';
import type { Recorder } from './recorder.ts';
import { EVENT_JOB, isRunnable, type Runner } from './runner.ts';
import { type FunctionTarget, findFunctionTargetByName } from './triggers.repository.ts';

/** Largest request body the HTTP trigger passes to a function (413 PAYLOAD_TOO_LARGE above it). */
export const INVOKE_MAX_BODY_BYTES = 6 * 1024 * 1024;
/** How long a function's row is trusted by the HTTP trigger before it is read again. */
export const FUNCTION_CACHE_TTL_MS = 1000;
/** Methods an http trigger allows when it names none (as 0.0.5). */
export const DEFAULT_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

// Hop-by-hop headers (RFC 9110 §7.6.1) never cross the backend; nor do the credentials of the call (the function
// gets the caller as context.user, never their token or the API key).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);
const CREDENTIALS = new Set(['authorization', 'x-api-key', 'cookie']);

export interface InvokeRequest {
  method: string;
  /** Path after /functions/{name}/invoke (at least '/'), with the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | null;
  user: { id: string; email: string; role: string } | null;
}

export interface InvokeResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Methods the http triggers of a function allow (empty: it has no http trigger). */
export function allowedMethods(fn: FunctionTarget): string[] {
  const methods = new Set<string>();
  for (const trigger of fn.triggers) {
    if (trigger.type !== 'http') continue;
    const declared = trigger.method === undefined ? DEFAULT_METHODS : [trigger.method].flat();
    for (const method of declared) if (typeof method === 'string') methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods];
}

function functionCache(pool: Pool, ttlMs: number) {
  const entries = new Map<string, { at: number; row: Promise<FunctionTarget | null> }>();
  return {
    get(name: string): Promise<FunctionTarget | null> {
      const now = Date.now();
      const hit = entries.get(name);
      if (hit && now - hit.at < ttlMs) return hit.row;
      const row = findFunctionTargetByName(pool, name);
      entries.set(name, { at: now, row });
      row.catch(() => entries.delete(name));
      if (entries.size > 10_000) entries.delete(entries.keys().next().value!);
      return row;
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 0.0.5's log line levels: `[ERROR]`/`[WARN]` prefixes, anything else info. */
export function levelOfLine(line: string): RuntimeLogLine['level'] {
  if (/^\s*\[ERROR\]/i.test(line)) return 'error';
  if (/^\s*\[WARN(ING)?\]/i.test(line)) return 'warn';
  if (/^\s*\[DEBUG\]/i.test(line)) return 'debug';
  return 'info';
}

export interface ExecutionResultInput {
  execution_id?: string;
  function_name?: string;
  success?: boolean;
  result?: unknown;
  logs?: string[];
  execution_time_ms?: number;
  timestamp?: string | null;
  delivery_id?: string | null;
}

export function createTriggersService(deps: { pool: Pool; runner: Runner; recorder: Recorder }) {
  const { pool, runner, recorder } = deps;
  const cache = functionCache(pool, FUNCTION_CACHE_TTL_MS);

  return {
    /**
     * The HTTP trigger: runs function `name` with the caller's request and returns its response, once the run is
     * recorded. 404 for an unknown, inactive or undeployed function or one without an http trigger; 405 (with
     * Allow) for a method its triggers do not declare.
     */
    async invoke(name: string, request: InvokeRequest): Promise<InvokeResponse> {
      const fn = await cache.get(name);
      if (!fn || !isRunnable(fn)) throw ERRORS.functionNotRunnable(name);
      const allowed = allowedMethods(fn);
      if (allowed.length === 0) {
        throw new AppError(404, ErrorCode.NOT_FOUND, `Function '${name}' has no HTTP trigger`);
      }
      if (!allowed.includes(request.method)) {
        throw new AppError(
          405,
          ErrorCode.METHOD_NOT_ALLOWED,
          `Method ${request.method} not allowed for function '${name}'`,
          { allow: allowed.join(', ') },
        );
      }
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(request.headers)) {
        const lower = key.toLowerCase();
        if (value === undefined || HOP_BY_HOP.has(lower) || CREDENTIALS.has(lower)) continue;
        headers[lower] = Array.isArray(value) ? value.join(', ') : value;
      }
      const outcome = await runner.runFunction(fn, 'http', {
        request: {
          method: request.method,
          path: request.path,
          headers,
          bodyBase64: request.body && request.body.length > 0 ? request.body.toString('base64') : null,
        },
        user: request.user,
      });
      await recorder.record({ record: outcome.record, events: outcome.run.events, depth: 0 });
      const { run, record } = outcome;
      if (run.status !== 'completed' && !run.response) {
        throw run.status === 'timeout'
          ? new AppError(
              504,
              ErrorCode.FUNCTION_TIMEOUT,
              `Function '${name}' timed out (execution ${record.id})`,
            )
          : new AppError(
              502,
              ErrorCode.FUNCTION_FAILED,
              `Function '${name}' failed (execution ${record.id})`,
            );
      }
      const response = run.response ?? {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        bodyBase64: Buffer.from(JSON.stringify(run.result ?? null)).toString('base64'),
      };
      const out: Record<string, string> = {};
      for (const [key, value] of Object.entries(response.headers ?? {})) {
        if (!HOP_BY_HOP.has(key.toLowerCase())) out[key.toLowerCase()] = String(value);
      }
      const status =
        Number.isInteger(response.status) && response.status >= 200 && response.status <= 599
          ? response.status
          : 502;
      return { status, headers: out, body: Buffer.from(response.bodyBase64 ?? '', 'base64') };
    },

    /**
     * 0.0.5's internal callback (API key only): records a run the runtime reports, as a new execution of the named
     * function with one log row per line. An unknown function is answered, not refused (as 0.0.5).
     */
    async receiveExecutionResult(
      functionName: string,
      input: ExecutionResultInput,
    ): Promise<{ received: true; execution_id?: string; warning?: string }> {
      const fn = await findFunctionTargetByName(pool, functionName);
      if (!fn) return { received: true, warning: 'Function not found' };
      const id = randomUUID();
      const now = new Date();
      const durationMs = Math.max(0, Math.round(input.execution_time_ms ?? 0));
      const stamp =
        input.timestamp && !Number.isNaN(Date.parse(input.timestamp)) ? new Date(input.timestamp) : now;
      const deliveryId = input.delivery_id && UUID.test(input.delivery_id) ? input.delivery_id : null;
      const success = input.success === true;
      await recordExecutions(pool, [
        {
          id,
          functionId: fn.id,
          userId: fn.owner_id,
          triggerType: deliveryId ? 'webhook' : 'http',
          webhookDeliveryId: deliveryId,
          status: success ? 'completed' : 'failed',
          startedAt: new Date(stamp.getTime() - durationMs),
          completedAt: stamp,
          durationMs,
          result: input.result ?? null,
          errorMessage: success ? null : JSON.stringify(input.result ?? null),
          logs: (input.logs ?? []).map((line) => ({
            level: levelOfLine(line),
            message: line,
            timestamp: stamp.toISOString(),
          })),
        },
      ]);
      return { received: true, execution_id: id };
    },

    /** Admin: queues a run of every function subscribed to `event` ({type:'event', event}); returns how many. */
    async emitEvent(actor: Actor, event: string, data: unknown): Promise<{ event: string; queued: number }> {
      if (!isAdmin(actor)) throw ERRORS.adminRequired();
      const queued = await enqueueEventJobs(pool, [{ event, data: data ?? null }], {
        depth: 1,
        ...EVENT_JOB,
      });
      return { event, queued };
    },
  };
}

export type TriggersService = ReturnType<typeof createTriggersService>;
