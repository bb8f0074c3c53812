import {
  AppError,
  ErrorCode,
  FUNCTIONS_KEY_HEADER,
  type RuntimeDeployRequest,
  type RuntimeDeployResult,
  type RuntimeRunRequest,
  type RuntimeRunResult,
} from '@selfdb/common';
import { Pool } from 'undici';

/** The backend's side of the functions runtime's wire contract (common/src/functions.ts). */
export interface RuntimeClient {
  health(): Promise<{ status: string; boot_id: string; functions: number }>;
  /** Loads `name` at `version`; a 422 FUNCTION_INVALID (code that does not load) is thrown as an AppError. */
  deploy(name: string, request: RuntimeDeployRequest): Promise<RuntimeDeployResult>;
  undeploy(name: string): Promise<void>;
  /** Runs `name`; throws AppError FUNCTION_NOT_DEPLOYED / FUNCTION_VERSION_MISMATCH when the code must be pushed. */
  run(name: string, request: RuntimeRunRequest): Promise<RuntimeRunResult>;
  close(): Promise<void>;
}

export interface RuntimeClientOptions {
  url: string;
  serviceKey: string;
  /** Longest wait for one call; a run's own timeout is enforced by the runtime, this only guards the connection. */
  timeoutMs?: number;
}

const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

export function createRuntimeClient(options: RuntimeClientOptions): RuntimeClient {
  const pool = new Pool(options.url, {
    connections: 64,
    headersTimeout: options.timeoutMs ?? 330_000,
    bodyTimeout: options.timeoutMs ?? 330_000,
  });

  async function call<T>(
    method: 'GET' | 'PUT' | 'DELETE' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<T> {
    let response;
    try {
      response = await pool.request({
        method,
        path,
        headers: {
          [FUNCTIONS_KEY_HEADER]: options.serviceKey,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code && CONNECTION_FAILURES.has(code)) {
        throw new AppError(503, ErrorCode.FUNCTIONS_UNAVAILABLE, 'Functions runtime unavailable');
      }
      throw err;
    }
    if (response.statusCode === 204) {
      await response.body.dump();
      return undefined as T;
    }
    const payload = (await response.body.json().catch(() => ({}))) as { detail?: unknown; code?: unknown };
    if (response.statusCode >= 400) {
      const code = typeof payload.code === 'string' && KNOWN_CODES.has(payload.code) ? payload.code : null;
      const detail = typeof payload.detail === 'string' ? payload.detail : 'Functions runtime error';
      // The runtime's own client errors (invalid code, a function it does not hold) keep their status and code;
      // anything else is the runtime failing, which the caller sees as a 502.
      if (code && response.statusCode < 500) {
        throw new AppError(response.statusCode, code as ErrorCode, detail);
      }
      throw new AppError(502, ErrorCode.FUNCTIONS_UNAVAILABLE, `Functions runtime failed: ${detail}`);
    }
    return payload as T;
  }

  const fn = (name: string) => `/functions/${encodeURIComponent(name)}`;
  return {
    health() {
      return call('GET', '/health');
    },
    deploy(name, request) {
      return call('PUT', fn(name), request);
    },
    undeploy(name) {
      return call('DELETE', fn(name));
    },
    run(name, request) {
      return call('POST', `${fn(name)}/run`, request);
    },
    close() {
      return pool.close();
    },
  };
}
