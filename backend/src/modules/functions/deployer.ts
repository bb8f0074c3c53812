// Pushes deployed code to the functions runtime, which keeps no state of its own (common/src/functions.ts): on
// deploy, whenever the runtime says it lacks the version a run asks for (`ensureDeployed`), and for every deployed
// function when the runtime restarted (its /health `boot_id` changed: `syncIfRestarted`, polled by
// plugins/functions-sync.ts). The database is the only place deployed code lives (`function_versions`).
import { AppError, ErrorCode, ERRORS, type Pool, type RuntimeDeployResult } from '@selfdb/common';
import { deployedVersionOf } from './functions.dto.ts';
import {
  findFunctionById,
  findFunctionVersionCode,
  type FunctionRow,
  listDeployedFunctions,
  markFunctionDeployed,
  markFunctionDeployFailed,
} from './functions.repository.ts';
import type { RuntimeClient } from './runtime-client.ts';

export interface DeployerLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface SyncResult {
  /** The runtime's boot id differed from the last one seen (always true the first time). */
  restarted: boolean;
  /** Functions pushed, and those whose push failed (logged). */
  pushed: number;
  failed: number;
}

export interface Deployer {
  /**
   * Deploys the latest version of a function. Success: `deployed`, `deployed_version`, the triggers the runtime
   * read, `last_deployed_at`. Code that does not load (runtime 422 FUNCTION_INVALID): `failed` with the runtime's
   * detail in `deployment_error`; the deployed version (and the code the runtime runs) stay as they were. Either
   * way the row is returned. The runtime unreachable: 503 FUNCTIONS_UNAVAILABLE and nothing changed.
   */
  deploy(functionId: string): Promise<FunctionRow>;
  /**
   * Pushes the deployed version of `row` (its code from `function_versions`, its current env and timeout) to the
   * runtime: for a run that got FUNCTION_NOT_DEPLOYED / FUNCTION_VERSION_MISMATCH, then retries. Concurrent calls
   * for the same version share one push. 404 FUNCTION_NOT_DEPLOYED when the function has no deployed version.
   */
  ensureDeployed(row: FunctionRow): Promise<RuntimeDeployResult>;
  /** Removes a function from the runtime; never fails (a runtime that cannot be reached holds nothing we use). */
  undeploy(name: string): Promise<void>;
  /** Re-pushes every active deployed function when the runtime's boot id changed; throws 503 when unreachable. */
  syncIfRestarted(): Promise<SyncResult>;
}

/** `env_vars` as the runtime takes them: strings only (a 0.0.5 archive may hold other JSON values). */
function envOf(row: FunctionRow): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(row.env_vars ?? {})) {
    env[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return env;
}

const isUnavailable = (err: unknown) =>
  err instanceof AppError && err.code === ErrorCode.FUNCTIONS_UNAVAILABLE;

export function createDeployer(deps: { pool: Pool; runtime: RuntimeClient; log: DeployerLog }): Deployer {
  const { pool, runtime, log } = deps;
  const pushing = new Map<string, Promise<RuntimeDeployResult>>();
  let lastBootId: string | null = null;

  function push(row: FunctionRow, version: number, code: string) {
    return runtime.deploy(row.name, {
      version,
      code,
      env: envOf(row),
      timeoutSeconds: row.timeout_seconds,
    });
  }

  async function deploy(functionId: string): Promise<FunctionRow> {
    const row = await findFunctionById(pool, functionId);
    if (!row) throw ERRORS.functionNotFound();
    let result: RuntimeDeployResult;
    try {
      result = await push(row, row.version, row.code);
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.FUNCTION_INVALID) {
        return (await markFunctionDeployFailed(pool, row.id, row.version, err.message)) ?? row;
      }
      throw err;
    }
    // 0.0.5's `export const runOnce = true` is a `once` trigger (run once per deployed version, schedules.ts).
    const triggers =
      result.runOnce && !result.triggers.some((t) => t.type === 'once')
        ? [...result.triggers, { type: 'once' as const }]
        : result.triggers;
    const updated = await markFunctionDeployed(pool, row.id, row.version, triggers);
    if (!updated) {
      // Deleted while it was being deployed: the runtime must not keep it.
      await undeploy(row.name);
      throw ERRORS.functionNotFound();
    }
    log.info(`function ${row.name} deployed at version ${row.version}`);
    // An inactive function is checked and recorded, but the runtime holds only active ones.
    if (!updated.is_active) await undeploy(updated.name);
    return updated;
  }

  async function ensureDeployed(row: FunctionRow): Promise<RuntimeDeployResult> {
    const version = deployedVersionOf(row);
    if (version === null) {
      throw new AppError(404, ErrorCode.FUNCTION_NOT_DEPLOYED, `Function '${row.name}' is not deployed`);
    }
    const key = `${row.id}:${version}:${row.name}`;
    const current = pushing.get(key);
    if (current) return current;
    const pushed = (async () => {
      const code =
        (await findFunctionVersionCode(pool, row.id, version)) ?? (version === row.version ? row.code : null);
      if (code === null) {
        throw new AppError(
          404,
          ErrorCode.FUNCTION_NOT_DEPLOYED,
          `The code of version ${version} of function '${row.name}' is missing`,
        );
      }
      return push(row, version, code);
    })().finally(() => pushing.delete(key));
    pushing.set(key, pushed);
    return pushed;
  }

  async function undeploy(name: string): Promise<void> {
    try {
      await runtime.undeploy(name);
    } catch (err) {
      log.warn(`could not remove function ${name} from the runtime: ${(err as Error).message}`);
    }
  }

  async function syncIfRestarted(): Promise<SyncResult> {
    const health = await runtime.health();
    if (health.boot_id === lastBootId) return { restarted: false, pushed: 0, failed: 0 };
    const rows = await listDeployedFunctions(pool);
    let pushed = 0;
    let failed = 0;
    let unreachable = false;
    for (const row of rows) {
      try {
        await ensureDeployed(row);
        pushed += 1;
      } catch (err) {
        failed += 1;
        unreachable ||= isUnavailable(err);
        log.warn(`could not re-deploy function ${row.name}: ${(err as Error).message}`);
      }
    }
    // A runtime lost mid-way is synced again on its next boot id (or next poll, when it comes back the same).
    if (!unreachable) lastBootId = health.boot_id;
    if (rows.length > 0)
      log.info(`functions runtime ${health.boot_id}: re-deployed ${pushed} of ${rows.length}`);
    return { restarted: true, pushed, failed };
  }

  return { deploy, ensureDeployed, undeploy, syncIfRestarted };
}
