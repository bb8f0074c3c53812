// What the function trigger tests share: the real functions runtime (scripts/lib/functions-runtime.ts) behind a TCP
// relay the test controls (so the runtime can be killed mid-run and started again, on another port, while the
// backend keeps its FUNCTIONS_INTERNAL_PORT), a backend that listens (its job worker, schedules and database
// triggers start on listen), and helpers to create and deploy functions through the API.
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type FunctionsRuntime, startFunctionsRuntime } from '../../scripts/lib/functions-runtime.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { prepareDatabase } from '../src/prepare-database.ts';
import { ADMIN, API_KEY, call, login, startTestApp, type TestDatabase, testEnv } from './helpers.ts';

export const FUNCTIONS_KEY = 'functions-test-service-key-0123456789abcdef';

/** A TCP relay to the current runtime: `kill()` cuts every connection, as a runtime that dies does. */
export interface RuntimeRelay {
  port: number;
  target: number | null;
  kill(): void;
  close(): Promise<void>;
}

export async function startRelay(): Promise<RuntimeRelay> {
  const sockets = new Set<net.Socket>();
  const relay: RuntimeRelay = {
    port: 0,
    target: null,
    kill() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        relay.kill();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (relay.target === null) {
      client.destroy();
      return;
    }
    const upstream = net.connect(relay.target, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  relay.port = (server.address() as net.AddressInfo).port;
  return relay;
}

export interface FunctionsStack {
  app: FastifyInstance;
  db: TestDatabase;
  relay: RuntimeRelay;
  runtime: FunctionsRuntime | null;
  adminToken: string;
  /** The backend's base URL (it listens on 127.0.0.1). */
  url: string;
  env: Record<string, string>;
  /** Starts a (new) runtime and points the relay at it. */
  startRuntime(): Promise<void>;
  /** Stops the runtime and cuts every connection to it (runs in flight die). */
  killRuntime(): Promise<void>;
  close(): Promise<void>;
}

const portOf = (url: string) => Number(new URL(url).port);

async function startAppOn(db: TestDatabase, extra: Record<string, string>) {
  const config = loadConfig(testEnv(db, extra));
  await prepareDatabase(config, { info: () => {} });
  const app = await buildApp(config, { logger: false });
  await app.ready();
  return { app, db };
}

/**
 * A backend with the real runtime on a fresh test database (or on `database`, e.g. one of a stack of its own that
 * the test restarts).
 */
export async function startFunctionsStack(
  overrides: Record<string, string> = {},
  database?: TestDatabase,
): Promise<FunctionsStack> {
  const relay = await startRelay();
  const extra = {
    FUNCTIONS_HOST: '127.0.0.1',
    FUNCTIONS_INTERNAL_PORT: String(relay.port),
    FUNCTIONS_SERVICE_KEY: FUNCTIONS_KEY,
    ...overrides,
  };
  const { app, db } = database ? await startAppOn(database, extra) : await startTestApp(extra);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
  const { access_token: adminToken } = await login(app, ADMIN.email, ADMIN.password);
  const stack: FunctionsStack = {
    app,
    db,
    relay,
    runtime: null,
    adminToken,
    url,
    env: testEnv(db, extra),
    async startRuntime() {
      stack.runtime = await startFunctionsRuntime({
        serviceKey: FUNCTIONS_KEY,
        backendUrl: url,
        apiKey: API_KEY,
      });
      relay.target = portOf(stack.runtime.url);
    },
    async killRuntime() {
      relay.target = null;
      relay.kill();
      const runtime = stack.runtime;
      stack.runtime = null;
      await runtime?.close();
    },
    async close() {
      await app.close();
      await stack.runtime?.close();
      await relay.close();
    },
  };
  await stack.startRuntime();
  return stack;
}

/** Another backend process on the same database (its own worker, schedules and dispatcher). */
export async function startSecondBackend(stack: FunctionsStack): Promise<FastifyInstance> {
  const app = await buildApp(loadConfig(stack.env), { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

export interface FunctionRead {
  id: string;
  name: string;
  deployment_status: string;
  deployment_error: string | null;
  execution_count: number;
  execution_success_count: number;
  execution_error_count: number;
  avg_execution_time_ms: number | null;
  last_executed_at: string | null;
  [key: string]: unknown;
}

/** Creates a function through the API and deploys it; fails the test when the deploy does. */
export async function deployFunction(
  stack: Pick<FunctionsStack, 'app' | 'adminToken'>,
  name: string,
  code: string,
  extra: Record<string, unknown> = {},
): Promise<FunctionRead> {
  const created = await call(stack.app, 'POST', '/functions/', {
    token: stack.adminToken,
    body: { name, code, ...extra },
  });
  if (created.status !== 201)
    throw new Error(`create ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  const id = String(created.body.id);
  const deployed = await call(stack.app, 'POST', `/functions/${id}/deploy`, { token: stack.adminToken });
  if (deployed.status !== 200 || deployed.body.deployment_status !== 'deployed') {
    throw new Error(`deploy ${name}: ${deployed.status} ${JSON.stringify(deployed.body)}`);
  }
  return deployed.body as unknown as FunctionRead;
}

export async function getFunction(stack: Pick<FunctionsStack, 'app' | 'adminToken'>, id: string) {
  const response = await call(stack.app, 'GET', `/functions/${id}`, { token: stack.adminToken });
  return response.body as unknown as FunctionRead;
}

export interface ExecutionRead {
  id: string;
  function_id: string;
  user_id: string;
  trigger_type: string;
  status: string;
  duration_ms: number | null;
  result: unknown;
  error_message: string | null;
  started_at: string;
  completed_at: string | null;
}

export async function listExecutions(
  stack: Pick<FunctionsStack, 'app' | 'adminToken'>,
  id: string,
): Promise<ExecutionRead[]> {
  const response = await call(stack.app, 'GET', `/functions/${id}/executions?limit=100`, {
    token: stack.adminToken,
  });
  return (response.body as unknown as { executions: ExecutionRead[] }).executions;
}

export interface LogRead {
  execution_id: string;
  log_level: string;
  message: string;
}

export async function listLogs(
  stack: Pick<FunctionsStack, 'app' | 'adminToken'>,
  id: string,
  level?: string,
): Promise<LogRead[]> {
  const query = level ? `&level=${level}` : '';
  const response = await call(stack.app, 'GET', `/functions/${id}/logs?limit=500${query}`, {
    token: stack.adminToken,
  });
  return (response.body as unknown as { logs: LogRead[] }).logs;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value that is not undefined (or throws after `timeoutMs`). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}
