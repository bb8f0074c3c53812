import { type Static, type TSchema, Type } from 'typebox';
import { ref, Skip } from '../../schemas/common.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const SchemaColumn = Type.Object(
  {
    column_name: Type.String({ description: 'Name of the column' }),
    data_type: Type.String({
      description: 'PostgreSQL data type of the column (information_schema spelling)',
    }),
    column_default: Type.Optional(Nullable(Type.String({ description: 'Default value expression' }))),
    is_primary_key: Type.Boolean({ default: false, description: 'Part of the primary key' }),
  },
  { $id: 'SchemaColumn', title: 'SchemaColumn' },
);

export const SchemaNode = Type.Object(
  {
    id: Type.String({ description: 'Table name (used as unique identifier)' }),
    label: Type.String({ description: 'Display label for the table' }),
    columns: Type.Array(ref(SchemaColumn)),
    primary_keys: Type.Array(Type.String()),
  },
  { $id: 'SchemaNode', title: 'SchemaNode' },
);

export const SchemaEdge = Type.Object(
  {
    id: Type.String({ description: 'Constraint name (with the column for composite keys)' }),
    source: Type.String({ description: 'Source table name' }),
    target: Type.String({ description: 'Target (referenced) table name' }),
    source_column: Type.String({ description: 'Source column name (foreign key)' }),
    target_column: Type.String({ description: 'Target column name (referenced key)' }),
  },
  { $id: 'SchemaEdge', title: 'SchemaEdge' },
);

export const SchemaVisualizationResponse = Type.Object(
  { nodes: Type.Array(ref(SchemaNode)), edges: Type.Array(ref(SchemaEdge)) },
  { $id: 'SchemaVisualizationResponse', title: 'SchemaVisualizationResponse' },
);

export const SchemaChange = Type.Object(
  {
    id: Type.Integer({ description: 'Increases with every recorded change' }),
    occurred_at: Type.String({ format: 'date-time' }),
    user_id: Nullable(
      Type.String({ format: 'uuid', description: 'SelfDB user who made it (null: not through SelfDB)' }),
    ),
    user_email: Nullable(Type.String({ description: 'That user’s email, while the user exists' })),
    db_user: Type.String({ description: 'Database role that ran the DDL' }),
    application_name: Nullable(
      Type.String({
        description: 'Client: selfdb-backend (API), selfdb-sql-console, selfdb-migrate, psql, …',
      }),
    ),
    event: Type.String({ description: 'ddl_command_end (created or altered) or sql_drop (dropped)' }),
    command_tag: Type.String({ description: 'e.g. CREATE TABLE, ALTER TABLE, DROP TABLE' }),
    object_type: Nullable(Type.String({ description: 'e.g. table, index, sequence, function' })),
    schema_name: Nullable(Type.String()),
    object_identity: Nullable(Type.String({ description: 'e.g. public.orders' })),
  },
  { $id: 'SchemaChange', title: 'SchemaChange' },
);

export const SchemaChangeListResponse = Type.Object(
  { changes: Type.Array(ref(SchemaChange)), total: Type.Integer() },
  { $id: 'SchemaChangeListResponse', title: 'SchemaChangeListResponse' },
);

export const SchemaChangesQuery = Type.Object({
  skip: Skip,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
export type SchemaChangesQuery = Static<typeof SchemaChangesQuery>;

export const SCHEMA_SCHEMAS = [
  SchemaColumn,
  SchemaNode,
  SchemaEdge,
  SchemaVisualizationResponse,
  SchemaChange,
  SchemaChangeListResponse,
];
