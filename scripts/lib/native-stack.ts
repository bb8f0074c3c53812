// A whole native SelfDB (./generate_keys.sh --yes, then ./selfdb.sh start) on free ports of 127.0.0.1, in a temp
// SELFDB_HOME with its own env file, for tests that need the real stack behind something (Caddy, deploy.sh).
// `stop()` runs ./selfdb.sh stop, kills any process the pid files named that is still alive, and deletes the files.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDashboardBuilt } from './dashboard.ts';
import { freePort } from './processes.ts';
import { liveCommandLine, parseEnvFile, runScript } from './run-script.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface NativeStackPorts {
  backend: number;
  db: number;
  pgbouncer: number;
  realtime: number;
  storage: number;
  functions: number;
  frontend: number;
}

export interface NativeStack {
  ports: NativeStackPorts;
  /** The env file's values (API_KEY, ADMIN_EMAIL, ...). */
  values: Record<string, string>;
  home: string;
  stop(): Promise<void>;
}

/** The environment a script under test gets: the caller's, minus every variable the env file may set. */
export function cleanEnvironment(): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !key.startsWith('SELFDB_') &&
        !key.startsWith('CADDY_') &&
        !/^(DATABASE_URL|DIRECT_DATABASE_URL|PG_BIN|PGBOUNCER_BIN)$/.test(key),
    ),
  );
  for (const key of Object.keys(parseEnvFile(join(root, '.env.example')))) delete inherited[key];
  return inherited;
}

/** Seven distinct free ports, as selfdb.sh's variables want them. */
export async function freeStackPorts(): Promise<NativeStackPorts> {
  const picked = new Set<number>();
  while (picked.size < 7) picked.add(await freePort());
  const [backend = 0, db = 0, pgbouncer = 0, realtime = 0, storage = 0, functions = 0, frontend = 0] = picked;
  return { backend, db, pgbouncer, realtime, storage, functions, frontend };
}

/** selfdb.sh's port variables for `ports`. */
export function portVariables(ports: NativeStackPorts): Record<string, string> {
  return {
    BACKEND_PORT: String(ports.backend),
    DB_PORT: String(ports.db),
    PGBOUNCER_PORT: String(ports.pgbouncer),
    REALTIME_INTERNAL_PORT: String(ports.realtime),
    STORAGE_INTERNAL_PORT: String(ports.storage),
    FUNCTIONS_INTERNAL_PORT: String(ports.functions),
    FRONTEND_PORT: String(ports.frontend),
  };
}

export async function startNativeStack(extraEnv: Record<string, string> = {}): Promise<NativeStack> {
  ensureDashboardBuilt();
  const home = mkdtempSync(join(tmpdir(), 'selfdb-stack-'));
  const envFile = join(home, 'env');
  const ports = await freeStackPorts();
  const env: NodeJS.ProcessEnv = {
    ...cleanEnvironment(),
    SELFDB_MODE: 'native',
    SELFDB_HOME: home,
    SELFDB_ENV_FILE: envFile,
    ...portVariables(ports),
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const runDir = join(home, 'run');
  const recorded = new Map<number, string>();
  const stop = async () => {
    if (existsSync(runDir)) {
      for (const name of readdirSync(runDir).filter((file) => file.endsWith('.pid'))) {
        const pid = Number(readFileSync(join(runDir, name), 'utf8').trim());
        const line = liveCommandLine(pid);
        if (line) recorded.set(pid, line);
      }
      await runScript('selfdb.sh', ['stop'], env, 90_000).catch(() => undefined);
    }
    for (const [pid, line] of recorded) if (liveCommandLine(pid) === line) process.kill(pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  const keys = await runScript('generate_keys.sh', ['--yes'], env);
  if (keys.code !== 0) {
    await stop();
    throw new Error(`generate_keys.sh failed:\n${keys.stdout}\n${keys.stderr}`);
  }
  const started = await runScript('selfdb.sh', ['start'], env, 120_000);
  if (started.code !== 0) {
    await stop();
    throw new Error(`selfdb.sh start failed (${started.code}):\n${started.stdout}\n${started.stderr}`);
  }
  return { ports, values: parseEnvFile(envFile), home, stop };
}
