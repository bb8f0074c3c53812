import {
  type Actor,
  ERRORS,
  hasSqlState,
  isAdmin,
  type Pool,
  SqlState,
  withTransaction,
} from '@selfdb/common';
import type { Deployer, DeployerLog } from './deployer.ts';
import {
  deployedVersionOf,
  type FunctionDto,
  type FunctionExecutionDto,
  type FunctionLogDto,
  toExecutionDto,
  toFunctionDto,
  toLogDto,
} from './functions.dto.ts';
import {
  countFunctions,
  deleteFunction,
  findFunctionById,
  type FunctionRow,
  type FunctionSortColumn,
  insertFunction,
  listExecutions,
  listFunctions,
  listLogs,
  updateFunction,
  updateFunctionCode,
} from './functions.repository.ts';

export interface NewFunction {
  name: string;
  code: string;
  description?: string | null;
  timeout_seconds?: number;
  env_vars?: Record<string, string> | null;
}

/** FunctionUpdate: absent or null leaves a field unchanged, except `description: null`, which clears it. */
export interface FunctionPatch {
  name?: string | null;
  description?: string | null;
  code?: string | null;
  timeout_seconds?: number | null;
  is_active?: boolean | null;
  env_vars?: Record<string, string> | null;
}

export interface FunctionListQuery {
  limit: number;
  offset: number;
  search?: string;
  sortBy: FunctionSortColumn;
  sortOrder: 'asc' | 'desc';
}

function assertAdmin(actor: Actor) {
  if (!isAdmin(actor)) throw ERRORS.adminRequired();
}

const isUniqueViolation = (err: unknown) => hasSqlState(err, SqlState.UNIQUE_VIOLATION);

/**
 * The `/functions` management operations (all admin only, as 0.0.5). Code changes are versions (`version + 1` and a
 * `function_versions` row); deploying pushes the latest version to the runtime through the deployer.
 */
export function createFunctionsService(deps: { pool: Pool; deployer: Deployer; log: DeployerLog }) {
  const { pool, deployer, log } = deps;

  async function load(functionId: string): Promise<FunctionRow> {
    const row = await findFunctionById(pool, functionId);
    if (!row) throw ERRORS.functionNotFound();
    return row;
  }

  /** Best effort: a failure is logged; the runner pushes the code again when a run finds the runtime without it. */
  async function bestEffort(what: string, task: () => Promise<unknown>) {
    try {
      await task();
    } catch (err) {
      log.warn(`${what}: ${(err as Error).message}`);
    }
  }

  /**
   * Brings the runtime in line after an edit of a deployed function: a renamed one moves to its new name, a
   * deactivated one is removed (activated: pushed again), new env vars or timeout are pushed with the deployed
   * code. The version the runtime runs never changes here: only a deploy does that.
   */
  async function applyToRuntime(before: FunctionRow, after: FunctionRow) {
    if (deployedVersionOf(after) === null) return;
    if (before.name !== after.name) await deployer.undeploy(before.name);
    if (!after.is_active) {
      if (before.is_active && before.name === after.name) await deployer.undeploy(after.name);
      return;
    }
    const changed =
      before.name !== after.name ||
      !before.is_active ||
      before.timeout_seconds !== after.timeout_seconds ||
      JSON.stringify(before.env_vars ?? {}) !== JSON.stringify(after.env_vars ?? {});
    if (changed) await bestEffort(`re-deploying ${after.name}`, () => deployer.ensureDeployed(after));
  }

  /** A new `code` (different from the current one) is a new version, `pending` until deployed. */
  async function update(actor: Actor, functionId: string, patch: FunctionPatch): Promise<FunctionDto> {
    assertAdmin(actor);
    const { before, after } = await withTransaction(pool, async (client) => {
      const current = await findFunctionById(client, functionId, true);
      if (!current) throw ERRORS.functionNotFound();
      let row: FunctionRow | null;
      try {
        row = await updateFunction(client, functionId, {
          name: patch.name ?? undefined,
          // `description: null` clears it; the other columns cannot be null, so null leaves them unchanged.
          description: patch.description,
          timeout_seconds: patch.timeout_seconds ?? undefined,
          is_active: patch.is_active ?? undefined,
          env_vars: patch.env_vars ?? undefined,
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw ERRORS.functionExists(patch.name ?? current.name);
        throw err;
      }
      if (row && patch.code != null && patch.code !== current.code) {
        row = await updateFunctionCode(client, functionId, patch.code, actor.id);
      }
      if (!row) throw ERRORS.functionNotFound();
      return { before: current, after: row };
    });
    await applyToRuntime(before, after);
    return toFunctionDto(after);
  }

  return {
    async count(actor: Actor, search?: string): Promise<number> {
      assertAdmin(actor);
      return countFunctions(pool, search);
    },

    async list(
      actor: Actor,
      query: FunctionListQuery,
    ): Promise<{ functions: FunctionDto[]; total: number; limit: number; offset: number }> {
      assertAdmin(actor);
      const [rows, total] = await Promise.all([
        listFunctions(pool, query),
        countFunctions(pool, query.search),
      ]);
      return { functions: rows.map(toFunctionDto), total, limit: query.limit, offset: query.offset };
    },

    /** Status `pending`, version 1, not deployed (0.0.5); a taken name answers 409 FUNCTION_EXISTS. */
    async create(actor: Actor, input: NewFunction): Promise<FunctionDto> {
      assertAdmin(actor);
      const row = await withTransaction(pool, (client) =>
        insertFunction(client, {
          name: input.name,
          description: input.description ?? null,
          code: input.code,
          ownerId: actor.id,
          timeoutSeconds: input.timeout_seconds ?? 30,
          envVars: input.env_vars ?? {},
        }),
      );
      if (!row) throw ERRORS.functionExists(input.name);
      return toFunctionDto(row);
    },

    async get(actor: Actor, functionId: string): Promise<FunctionDto> {
      assertAdmin(actor);
      return toFunctionDto(await load(functionId));
    },

    update,

    /** PUT /functions/{id}/env: replaces env_vars; a deployed function gets them at once (0.0.5 waited for a deploy). */
    async setEnv(actor: Actor, functionId: string, envVars: Record<string, string>): Promise<FunctionDto> {
      return update(actor, functionId, { env_vars: envVars });
    },

    /** Deletes the function (webhooks, executions, logs, versions cascade) and removes it from the runtime. */
    async remove(actor: Actor, functionId: string): Promise<void> {
      assertAdmin(actor);
      const row = await deleteFunction(pool, functionId);
      if (!row) throw ERRORS.functionNotFound();
      await deployer.undeploy(row.name);
    },

    async deploy(actor: Actor, functionId: string): Promise<FunctionDto> {
      assertAdmin(actor);
      return toFunctionDto(await deployer.deploy(functionId));
    },

    async listExecutions(
      actor: Actor,
      functionId: string,
      page: { limit: number; offset: number },
    ): Promise<{ executions: FunctionExecutionDto[]; total: number; limit: number; offset: number }> {
      assertAdmin(actor);
      await load(functionId);
      const { rows, total } = await listExecutions(pool, functionId, page);
      return { executions: rows.map(toExecutionDto), total, limit: page.limit, offset: page.offset };
    },

    async listLogs(
      actor: Actor,
      functionId: string,
      page: { limit: number; offset: number; level?: string },
    ): Promise<{ logs: FunctionLogDto[]; total: number; limit: number; offset: number }> {
      assertAdmin(actor);
      await load(functionId);
      const { rows, total } = await listLogs(pool, functionId, page);
      return { logs: rows.map(toLogDto), total, limit: page.limit, offset: page.offset };
    },
  };
}

export type FunctionsService = ReturnType<typeof createFunctionsService>;
