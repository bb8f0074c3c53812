// Starts the functions runtime (functions/) in-process on a free 127.0.0.1 port, for tests and benchmarks of any
// workspace: the real service, the real Deno sandboxes. Its data directory is a fresh temp dir, removed on close.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFunctionsApp } from '../../functions/src/app.ts';
import { loadFunctionsConfig } from '../../functions/src/config.ts';
import { FunctionHost } from '../../functions/src/host.ts';
import { findDeno } from '../../functions/src/sandbox/deno.ts';

export interface FunctionsRuntimeOptions {
  /** The X-Functions-Key the runtime expects (at least 32 characters). */
  serviceKey: string;
  /** Where context.callBackend goes (default http://127.0.0.1:8000). */
  backendUrl?: string;
  /** Sent as x-api-key on context.callBackend calls. */
  apiKey?: string;
  /** FUNCTIONS_MEMORY_MB (default 128). */
  memoryMb?: number;
  /** Any other FUNCTIONS_* variable, e.g. FUNCTIONS_LOAD_TIMEOUT_SECONDS. */
  env?: Record<string, string>;
}

export interface FunctionsRuntime {
  url: string;
  close(): Promise<void>;
}

export async function startFunctionsRuntime(options: FunctionsRuntimeOptions): Promise<FunctionsRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), 'selfdb-functions-test-'));
  const config = loadFunctionsConfig({
    ...options.env,
    FUNCTIONS_SERVICE_KEY: options.serviceKey,
    FUNCTIONS_HOST: '127.0.0.1',
    FUNCTIONS_INTERNAL_PORT: '0',
    FUNCTIONS_DATA_DIR: dataDir,
    BACKEND_URL: options.backendUrl ?? 'http://127.0.0.1:8000',
    API_KEY: options.apiKey ?? '',
    FUNCTIONS_MEMORY_MB: String(options.memoryMb ?? 128),
    LOG_LEVEL: 'silent',
  });
  const host = await FunctionHost.open(config, findDeno(config.denoBin));
  const app = await buildFunctionsApp(config, host, { logger: false });
  app.addHook('preClose', async () => host.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('functions runtime did not listen');
  let closed = false;
  return {
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
