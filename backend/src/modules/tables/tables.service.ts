import { isDeepStrictEqual } from 'node:util';
import {
  type Actor,
  AppError,
  ErrorCode,
  ERRORS,
  hasSqlState,
  isAdmin,
  type Pool,
  SqlState,
  withTransaction,
} from '@selfdb/common';
import {
  createTable,
  disableCapture,
  dropTable,
  enableCapture,
  prepareDdl,
  renameTable,
  syncUpdatedAtTrigger,
} from './ddl.repository.ts';
import { assertTableName } from './identifiers.ts';
import { toTableError } from './pg-detail.ts';
import { assertCanSeeTable } from './table-access.ts';
import { changeTable } from './table-changes.ts';
import type { TableMetaCache } from './table-meta.ts';
import { parseTableSchema, toTableSchema } from './table-schema.ts';
import { toTableDto, type TableDto } from './tables.dto.ts';
import {
  countTables,
  deleteTable,
  findTableById,
  insertTable,
  listTables,
  type TableChanges,
  type TableListQuery,
  updateTable,
  type Visibility,
} from './tables.repository.ts';

export interface NewTable {
  name: string;
  table_schema: Record<string, unknown>;
  public?: boolean;
  description?: string | null;
  metadata?: Record<string, unknown> | null;
}

/** TableUpdate: `null` (or absent) leaves a field unchanged. */
export interface TablePatch {
  name?: string | null;
  table_schema?: Record<string, unknown> | null;
  public?: boolean | null;
  description?: string | null;
  metadata?: Record<string, unknown> | null;
  realtime_enabled?: boolean | null;
}

/** SPEC §2.1: admins see every table, signed-in users public ones and their own, anonymous callers public ones. */
function visibilityOf(actor: Actor | null): Visibility {
  return isAdmin(actor) ? { all: true } : { all: false, ownerId: actor?.id ?? null };
}

export function createTablesService(pool: Pool, cache: TableMetaCache) {
  const deps = { pool, cache };
  return {
    async list(actor: Actor | null, query: TableListQuery): Promise<TableDto[]> {
      return (await listTables(pool, visibilityOf(actor), query)).map(toTableDto);
    },

    async count(actor: Actor | null, search?: string): Promise<number> {
      return countTables(pool, visibilityOf(actor), search);
    },

    async get(actor: Actor | null, id: string): Promise<TableDto> {
      const row = await findTableById(pool, id);
      if (!row) throw ERRORS.tableNotFound();
      assertCanSeeTable(actor, row);
      return toTableDto(row);
    },

    /**
     * Creates the table and its registry entry in one transaction. Adds `id`, `created_at`, `updated_at` when
     * absent (SPEC §2.4) and keeps updated_at current. A taken name answers 409 `TABLE_EXISTS`.
     */
    async create(actor: Actor, input: NewTable): Promise<TableDto> {
      assertTableName(input.name);
      const columns = parseTableSchema(input.table_schema);
      try {
        const row = await withTransaction(pool, async (client) => {
          await prepareDdl(client, actor.id);
          await createTable(client, input.name, columns);
          const created = await insertTable(client, {
            name: input.name,
            tableSchema: toTableSchema(columns, input.table_schema),
            public: input.public ?? false,
            ownerId: actor.id,
            description: input.description ?? null,
            metadata: input.metadata ?? {},
          });
          await syncUpdatedAtTrigger(client, input.name);
          return created;
        });
        return toTableDto(row);
      } catch (err) {
        if (hasSqlState(err, SqlState.DUPLICATE_TABLE, SqlState.UNIQUE_VIOLATION))
          throw ERRORS.tableExists(input.name);
        throw toTableError(err);
      }
    },

    /**
     * Owner or admin. Renames the table with its registry entry; `realtime_enabled` starts or stops change capture
     * in the same transaction. `table_schema` describes the columns, which change through the /columns routes, so
     * it may only be sent back unchanged.
     */
    async update(actor: Actor, id: string, patch: TablePatch): Promise<TableDto> {
      try {
        return await changeTable(deps, actor, id, async (client, table) => {
          if (patch.table_schema != null && !isDeepStrictEqual(patch.table_schema, table.table_schema))
            throw AppError.badRequest(
              'table_schema cannot be changed here: add, alter or drop columns with /tables/{id}/columns',
              ErrorCode.SCHEMA_CHANGE_UNSUPPORTED,
            );
          const changes: TableChanges = {};
          let name = table.name;
          if (patch.name != null && patch.name !== table.name) {
            name = assertTableName(patch.name);
            await renameTable(client, table.name, name);
            changes.name = name;
          }
          if (patch.realtime_enabled != null && patch.realtime_enabled !== table.realtime_enabled) {
            await (patch.realtime_enabled ? enableCapture(client, name, id) : disableCapture(client, name));
            changes.realtime_enabled = patch.realtime_enabled;
          }
          if (patch.public != null) changes.public = patch.public;
          if (patch.description != null) changes.description = patch.description;
          if (patch.metadata != null) changes.metadata = patch.metadata;
          return toTableDto(await updateTable(client, id, changes));
        });
      } catch (err) {
        if ((err as { code?: string }).code === ErrorCode.CONFLICT && patch.name)
          throw ERRORS.tableExists(patch.name);
        throw err;
      }
    },

    /** Owner or admin: drops the table and its registry entry (and its row count) together. */
    async remove(actor: Actor, id: string): Promise<{ status: 'table_deleted'; id: string; name: string }> {
      return changeTable(deps, actor, id, async (client, table) => {
        await dropTable(client, table.name);
        await deleteTable(client, id);
        return { status: 'table_deleted' as const, id, name: table.name };
      });
    },
  };
}

export type TablesService = ReturnType<typeof createTablesService>;
