// The functions runtime for tests: the real service (scripts/lib/functions-runtime.ts) with real Deno sandboxes,
// called over real HTTP with the service key, as the backend calls it.
import { readdirSync, readFileSync } from 'node:fs';
import type { RuntimeDeployRequest, RuntimeRunRequest, RuntimeRunResult } from '@selfdb/common';
import { type FunctionsRuntimeOptions, startFunctionsRuntime } from '../../scripts/lib/functions-runtime.ts';

export const KEY = 'functions-test-key-0123456789abcdef0123456789';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  json: T;
}

export interface TestRuntime {
  url: string;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    key?: string | null,
  ): Promise<Answer<T>>;
  /** PUT /functions/:name (version 1, no env, 10 s timeout unless given). */
  deploy(name: string, code: string, options?: Partial<RuntimeDeployRequest>): Promise<Answer>;
  /** POST /functions/:name/run; `run` gives the fields (version 1, a manual trigger by default). */
  run(name: string, run?: Partial<RuntimeRunRequest>): Promise<Answer<RunAnswer>>;
  close(): Promise<void>;
}

/** A run result, or the {detail, code} of a refused run. */
export type RunAnswer = RuntimeRunResult & { detail?: string; code?: string };

let executions = 0;

export async function startRuntime(options: Partial<FunctionsRuntimeOptions> = {}): Promise<TestRuntime> {
  const runtime = await startFunctionsRuntime({ serviceKey: KEY, ...options });
  async function call<T>(method: string, path: string, body?: unknown, key: string | null = KEY) {
    const response = await fetch(`${runtime.url}${path}`, {
      method,
      headers: {
        ...(key !== null && { 'x-functions-key': key }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : null) as T };
  }
  return {
    url: runtime.url,
    call,
    deploy: (name, code, options = {}) =>
      call('PUT', `/functions/${name}`, { version: 1, env: {}, timeoutSeconds: 10, code, ...options }),
    run: (name, run = {}) =>
      call<RunAnswer>('POST', `/functions/${name}/run`, {
        version: 1,
        executionId: `exec-${++executions}`,
        triggerType: 'manual',
        ...run,
      }),
    close: () => runtime.close(),
  };
}

/** The body of a run's response as text. */
export function bodyText(result: RuntimeRunResult): string {
  return Buffer.from(result.response?.bodyBase64 ?? '', 'base64').toString('utf8');
}

/** Pids of the Deno processes whose command line mentions `needle` (e.g. a function's unique name). */
export function denoPids(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('harness.js') && cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
