import { type Actor, BOOKKEEPING_TABLES, ERRORS, isAdmin, type Pool } from '@selfdb/common';
import {
  countSchemaChanges,
  listForeignKeys,
  listPrimaryKeys,
  listPublicColumns,
  listPublicTableNames,
  listSchemaChanges,
  type SchemaChangeRow,
} from './schema.repository.ts';

export interface SchemaColumn {
  column_name: string;
  data_type: string;
  column_default: string | null;
  is_primary_key: boolean;
}

export interface SchemaNode {
  id: string;
  label: string;
  columns: SchemaColumn[];
  primary_keys: string[];
}

export interface SchemaEdge {
  id: string;
  source: string;
  target: string;
  source_column: string;
  target_column: string;
}

// SelfDB 0.0.5's exclusions (some name tables that only existed in other versions), plus the tables SelfDB keeps
// for its own bookkeeping: the console's history and snippets, migrations and the schema change log.
const EXCLUDED_TABLES = new Set([
  'alembic_version',
  'storage_buckets',
  'storage_objects',
  'pg_stat_statements',
  'tables_metadata',
  ...BOOKKEEPING_TABLES,
]);

/** The tables the schema views show: every base table of `public` except bookkeeping (upstream's rule). */
export function isShownTable(name: string): boolean {
  return !EXCLUDED_TABLES.has(name) && !name.startsWith('pg_') && !name.startsWith('_');
}

function assertSchemaAdmin(actor: Actor) {
  if (!isAdmin(actor)) throw ERRORS.adminRequired('Admin access required for schema visualization');
}

/** Schema views for the admin dashboard (SelfDB 0.0.5's `/schema`) and the schema change log. */
export function createSchemaService(pool: Pool) {
  return {
    /** Tables as nodes (columns, primary keys) and foreign keys as edges, between shown tables only. */
    async visualization(actor: Actor): Promise<{ nodes: SchemaNode[]; edges: SchemaEdge[] }> {
      assertSchemaAdmin(actor);
      const [columns, keys, foreignKeys] = await Promise.all([
        listPublicColumns(pool),
        listPrimaryKeys(pool),
        listForeignKeys(pool),
      ]);
      const nodes = new Map<string, SchemaNode>();
      for (const key of keys) {
        if (!isShownTable(key.table_name)) continue;
        const node = nodes.get(key.table_name) ?? {
          id: key.table_name,
          label: key.table_name,
          columns: [],
          primary_keys: [],
        };
        node.primary_keys.push(key.column_name);
        nodes.set(key.table_name, node);
      }
      for (const column of columns) {
        if (!isShownTable(column.table_name)) continue;
        const node = nodes.get(column.table_name) ?? {
          id: column.table_name,
          label: column.table_name,
          columns: [],
          primary_keys: [],
        };
        node.columns.push({
          column_name: column.column_name,
          data_type: column.data_type,
          column_default: column.column_default,
          is_primary_key: node.primary_keys.includes(column.column_name),
        });
        nodes.set(column.table_name, node);
      }
      const edges = foreignKeys
        .filter((fk) => nodes.has(fk.source) && nodes.has(fk.target))
        .map((fk) => ({
          // One edge per column pair; a composite key's edges need distinct ids.
          id: fk.columns > 1 ? `${fk.constraint_name}.${fk.source_column}` : fk.constraint_name,
          source: fk.source,
          target: fk.target,
          source_column: fk.source_column,
          target_column: fk.target_column,
        }));
      const sorted = [...nodes.values()]
        .filter((node) => node.columns.length > 0)
        .sort((a, b) => a.id.localeCompare(b.id));
      return { nodes: sorted, edges };
    },

    async tableNames(actor: Actor): Promise<string[]> {
      assertSchemaAdmin(actor);
      return (await listPublicTableNames(pool)).filter(isShownTable);
    },

    /** A page of DDL changes, newest first, with how many there are in all. */
    async changes(
      actor: Actor,
      page: { skip: number; limit: number },
    ): Promise<{ changes: SchemaChangeRow[]; total: number }> {
      assertSchemaAdmin(actor);
      const [changes, total] = await Promise.all([listSchemaChanges(pool, page), countSchemaChanges(pool)]);
      return { changes, total };
    },
  };
}

export type SchemaService = ReturnType<typeof createSchemaService>;
