import { type Actor, AppError, ErrorCode, type PoolClient, preview } from '@selfdb/common';
import { type ColumnType, kindOfCatalogType, parseColumnType } from './column-types.ts';
import {
  addColumn,
  type CatalogColumn,
  alterColumnType,
  dropColumn,
  findColumn,
  renameColumn,
  setColumnDefault,
  setColumnNullable,
} from './ddl.repository.ts';
import { type DefaultSpec, parseDefault } from './defaults.ts';
import { assertColumnName } from './identifiers.ts';
import { type ChangeDeps, changeTable, refreshTableTriggers } from './table-changes.ts';
import { parseColumnEntry, type SchemaEntry, type TableSchema, toSchemaEntry } from './table-schema.ts';
import { type TableRow, updateTable } from './tables.repository.ts';

/** ColumnDefinition of SelfDB 0.0.5. */
export interface NewColumn {
  name: string;
  type: string;
  nullable?: boolean;
  default?: unknown;
}

/** ColumnUpdate: `null` (or absent) leaves a property unchanged; `default: ""` or `"NULL"` drops the default. */
export interface ColumnPatch {
  new_name?: string | null;
  type?: string | null;
  nullable?: boolean | null;
  default?: string | null;
}

/** `table_schema` without the legacy `columns` array some 0.0.5 clients stored (upstream dropped it too). */
function schemaOf(table: TableRow): TableSchema {
  const schema = { ...(table.table_schema ?? {}) } as Record<string, unknown>;
  delete schema.columns;
  return schema as TableSchema;
}

async function requireColumn(client: PoolClient, table: TableRow, name: string) {
  const column = await findColumn(client, table.name, name);
  if (!column) throw AppError.notFound(`Column '${preview(name)}' not found in table '${table.name}'`);
  return column;
}

/** The column rows are owned by (table-meta.ts): each row belongs to the user it names. */
const OWNER_COLUMN = 'user_id';

/**
 * The columns the data API stands on: the primary key (how `/tables/{id}/data/{row_id}` finds a row, and what
 * realtime keys changes by) and `user_id` (whose rows a user may change). Dropping, retyping or renaming one through
 * the column routes would break those routes or change who may touch which row: 409 `PROTECTED_COLUMN`. Its
 * nullability and default may change (Postgres itself refuses a nullable primary key).
 */
function assertUnprotected(name: string, column: CatalogColumn, change: 'drop' | 'retype' | 'rename'): void {
  const role =
    column.primary_key && name === OWNER_COLUMN
      ? 'the primary key and the owner column'
      : column.primary_key
        ? 'the primary key'
        : name === OWNER_COLUMN
          ? 'the owner column (each row belongs to the user it names)'
          : null;
  if (!role) return;
  throw AppError.conflict(
    `Cannot ${change} column '${name}': it is ${role}, which the table's data API depends on`,
    ErrorCode.PROTECTED_COLUMN,
  );
}

export function createColumnsService(deps: ChangeDeps) {
  /** Runs a column change and stores the table's new `table_schema`; the triggers follow the columns. */
  const change = <T extends { status: string }>(
    actor: Actor,
    tableId: string,
    work: (client: PoolClient, table: TableRow, schema: TableSchema) => Promise<T>,
  ) =>
    changeTable(deps, actor, tableId, async (client, table) => {
      const schema = schemaOf(table);
      const result = await work(client, table, schema);
      if (result.status !== 'no_changes') {
        await updateTable(client, tableId, { table_schema: schema });
        await refreshTableTriggers(client, table);
      }
      return result;
    });

  return {
    /** POST /tables/{id}/columns: owner or admin. A taken name answers 409 `COLUMN_EXISTS`. */
    async add(actor: Actor, tableId: string, input: NewColumn) {
      const column = parseColumnEntry(input.name, {
        type: input.type,
        nullable: input.nullable ?? true,
        default: input.default,
      });
      return change(actor, tableId, async (client, table, schema) => {
        await addColumn(client, table.name, column);
        schema[column.name] = toSchemaEntry(column, input.type);
        return { status: 'column_added' as const, column: column.name };
      });
    },

    /** PATCH /tables/{id}/columns/{name}: type, nullability, default, then the rename; `table_schema` follows. */
    async update(actor: Actor, tableId: string, name: string, patch: ColumnPatch) {
      if (patch.new_name != null && patch.new_name !== name) assertColumnName(patch.new_name);
      const newType = patch.type != null ? parseColumnType(patch.type, name) : null;
      const nothing =
        patch.new_name == null && patch.type == null && patch.nullable == null && patch.default == null;
      return change(actor, tableId, async (client, table, schema) => {
        const current = await requireColumn(client, table, name);
        if (nothing) return { status: 'no_changes' as const };
        if (newType && newType.sql !== current.type) assertUnprotected(name, current, 'retype');
        if (patch.new_name != null && patch.new_name !== name) assertUnprotected(name, current, 'rename');
        // An existing column's type as the catalog spells it (format_type), to cast a new default to.
        let type: ColumnType = newType ?? {
          sql: current.type,
          kind: kindOfCatalogType(current.typname),
          array: current.array,
        };
        const entry: SchemaEntry = {
          ...(schema[name] ?? { type: current.type, nullable: !current.notnull }),
        };
        if (newType) {
          await alterColumnType(client, table.name, name, newType);
          type = newType;
          entry.type = patch.type!;
        }
        if (patch.nullable != null) {
          await setColumnNullable(client, table.name, name, patch.nullable);
          entry.nullable = patch.nullable;
        }
        if (patch.default != null) {
          const spec: DefaultSpec | null =
            patch.default.trim() === '' ? null : parseDefault(patch.default, name, type);
          await setColumnDefault(client, table.name, name, spec, type);
          if (spec) entry.default = spec.kind === 'function' ? spec.sql : spec.value;
          else delete entry.default;
        }
        let finalName = name;
        if (patch.new_name != null && patch.new_name !== name) {
          await renameColumn(client, table.name, name, patch.new_name);
          finalName = patch.new_name;
          delete schema[name];
        }
        schema[finalName] = entry;
        return { status: 'column_updated' as const, column: finalName };
      });
    },

    /** DELETE /tables/{id}/columns/{name}: owner or admin; 404 when the column does not exist. */
    async remove(actor: Actor, tableId: string, name: string) {
      return change(actor, tableId, async (client, table, schema) => {
        assertUnprotected(name, await requireColumn(client, table, name), 'drop');
        await dropColumn(client, table.name, name);
        delete schema[name];
        return { status: 'column_deleted' as const, column: name };
      });
    },
  };
}

export type ColumnsService = ReturnType<typeof createColumnsService>;
