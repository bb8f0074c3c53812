import { MAX_IDENTIFIER_LENGTH, TABLE_NAME_PATTERN_SOURCE } from '@selfdb/common';
import { type Static, Type } from 'typebox';
import { Nullable, SearchTerm, Skip, SortOrder, Uuid } from '../../schemas/common.ts';

const TableName = Type.String({
  minLength: 1,
  maxLength: MAX_IDENTIFIER_LENGTH,
  pattern: TABLE_NAME_PATTERN_SOURCE,
  description: 'Table name (lowercase letters, numbers, underscores, must start with letter)',
});
const AnyObject = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });
const Timestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

const TABLE_SCHEMA_DESCRIPTION =
  'Columns as {"<column>": {"type": "text", "nullable": true, "default": ...}} (JSON Schema with "properties" is ' +
  'accepted too). id (uuid primary key), created_at and updated_at are added when absent.';

export const TableRead = Type.Object(
  {
    name: Type.String(),
    table_schema: Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      additionalProperties: true,
      description: TABLE_SCHEMA_DESCRIPTION,
    }),
    public: Type.Boolean(),
    description: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Union([AnyObject, Type.Null()]),
    id: Uuid,
    owner_id: Uuid,
    row_count: Type.Integer(),
    realtime_enabled: Type.Boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'TableRead', title: 'TableRead' },
);

export const TableCreate = Type.Object(
  {
    name: TableName,
    table_schema: Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      additionalProperties: true,
      description: TABLE_SCHEMA_DESCRIPTION,
    }),
    public: Type.Optional(Type.Boolean({ default: false })),
    description: Nullable(Type.String({ maxLength: 500 })),
    metadata: Nullable(AnyObject),
  },
  { additionalProperties: false, $id: 'TableCreate', title: 'TableCreate' },
);
export type TableCreate = Static<typeof TableCreate>;

export const TableUpdate = Type.Object(
  {
    name: Nullable(TableName),
    table_schema: Nullable(AnyObject),
    public: Nullable(Type.Boolean()),
    description: Nullable(Type.String({ maxLength: 500 })),
    metadata: Nullable(AnyObject),
    realtime_enabled: Nullable(Type.Boolean()),
  },
  {
    additionalProperties: false,
    $id: 'TableUpdate',
    title: 'TableUpdate',
    description:
      'null or absent fields are left unchanged. realtime_enabled starts or stops change capture for the ' +
      'realtime service. table_schema may only be sent back unchanged: columns change through /columns.',
  },
);
export type TableUpdate = Static<typeof TableUpdate>;

export const ColumnDefinition = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 63 }),
    type: Type.String({ minLength: 1, maxLength: 100 }),
    nullable: Type.Optional(Type.Boolean({ default: true })),
    default: Nullable(Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()])),
  },
  {
    $id: 'ColumnDefinition',
    title: 'ColumnDefinition',
    description:
      'A new column. default: a literal of the column type (a quoted SQL literal works too), now(), ' +
      'current_timestamp or gen_random_uuid().',
  },
);
export type ColumnDefinition = Static<typeof ColumnDefinition>;

export const ColumnUpdate = Type.Object(
  {
    new_name: Nullable(Type.String({ minLength: 1, maxLength: 63 })),
    type: Nullable(Type.String({ minLength: 1, maxLength: 100 })),
    nullable: Nullable(Type.Boolean()),
    default: Nullable(Type.String({ maxLength: 10_000 })),
  },
  {
    $id: 'ColumnUpdate',
    title: 'ColumnUpdate',
    description: 'null or absent: unchanged. default "" (or "NULL") drops the default.',
  },
);
export type ColumnUpdate = Static<typeof ColumnUpdate>;

export const TableDataResponse = Type.Object(
  {
    data: Type.Array(AnyObject),
    total: Type.Union([Type.Integer(), Type.Null()], { description: 'null with count=none' }),
    page: Type.Integer(),
    page_size: Type.Integer(),
  },
  { $id: 'TableDataResponse', title: 'TableDataResponse' },
);

export const TableDeleteResponse = Type.Object(
  {
    status: Type.String({ default: 'table_deleted' }),
    id: Uuid,
    name: Type.String(),
  },
  { $id: 'TableDeleteResponse', title: 'TableDeleteResponse' },
);

export const RowDeleteResponse = Type.Object(
  {
    status: Type.String({ default: 'row_deleted' }),
    table_id: Uuid,
    row_id: Type.String(),
  },
  { $id: 'RowDeleteResponse', title: 'RowDeleteResponse' },
);

export const TableIdParams = Type.Object({ table_id: Uuid });
export type TableIdParams = Static<typeof TableIdParams>;

export const ColumnParams = Type.Object({
  table_id: Uuid,
  column_name: Type.String({ maxLength: 200 }),
});
export type ColumnParams = Static<typeof ColumnParams>;

export const RowParams = Type.Object({
  table_id: Uuid,
  row_id: Type.String({ maxLength: 1000 }),
});
export type RowParams = Static<typeof RowParams>;

export const IdColumnQuery = Type.Object({
  id_column: Type.Optional(Type.String({ default: 'id', maxLength: 200 })),
});
export type IdColumnQuery = Static<typeof IdColumnQuery>;

export const ListTablesQuery = Type.Object({
  skip: Skip,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
  search: Type.Optional(SearchTerm),
  sort_by: Type.Optional(
    Type.Union([Type.Literal('created_at'), Type.Literal('updated_at'), Type.Literal('name')], {
      default: 'created_at',
      description: 'Field to sort by',
    }),
  ),
  sort_order: SortOrder,
});
export type ListTablesQuery = Static<typeof ListTablesQuery>;

/**
 * The parameters of GET /tables/{id}/data: SelfDB 0.0.5's, and `order`, `select`, `count` (plain strings here: the
 * route parses them and answers a bad one 400 INVALID_FILTER). Further keys are filters named after columns,
 * documented as one exploded `filters` parameter (openapi plugin); anything else answers 400 (strict-query note).
 */
export const TableDataQuery = Type.Object(
  {
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, default: 1 })),
    page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    search: Type.Optional(SearchTerm),
    sort_by: Type.Optional(Type.String({ maxLength: 100, description: 'Column name to sort by' })),
    sort_order: SortOrder,
    order: Type.Optional(
      Type.String({
        description:
          'Ordering, instead of sort_by: comma-separated column[.asc|.desc][.nullsfirst|.nullslast], e.g. price.desc,name',
      }),
    ),
    select: Type.Optional(Type.String({ description: 'Columns to return, comma-separated, e.g. id,name' })),
    count: Type.Optional(
      Type.String({
        description: 'exact (default) | estimated (planner estimate) | none (total is null)',
        examples: ['exact', 'estimated', 'none'],
      }),
    ),
  },
  { additionalProperties: true },
);

/** `?on_conflict=a,b` of POST /tables/{id}/data: the insert becomes an upsert on those columns. */
export const InsertRowQuery = Type.Object({
  on_conflict: Type.Optional(
    Type.String({
      description:
        'Comma-separated columns of a unique constraint: a row that conflicts on them is updated instead (upsert)',
    }),
  ),
});
export type TableDataQuery = Static<typeof TableDataQuery>;

/** Row bodies: one object, or an array of objects inserted in one statement. */
export const RowBody = Type.Union([AnyObject, Type.Array(AnyObject, { minItems: 1, maxItems: 1000 })], {
  title: 'Row Data',
});

/** Shapes of the row and column answers; upstream documented them as `{}`, so they stay unnamed (anyOf). */
const Status = <S extends string>(status: S) => Type.Literal(status);
export const InsertRowResponse = Type.Union([
  Type.Object({ status: Status('row_inserted'), data: AnyObject }),
  Type.Object({ status: Status('rows_inserted'), data: Type.Array(AnyObject) }),
]);
export const UpdateRowResponse = Type.Union([
  Type.Object({ status: Status('row_updated'), data: AnyObject }),
]);
export const ColumnChangeResponse = (...statuses: string[]) =>
  Type.Union(statuses.map((status) => Type.Object({ status: Status(status), column: Type.String() })));
export const ColumnUpdateResponse = Type.Union([
  Type.Object({ status: Status('column_updated'), column: Type.String() }),
  Type.Object({ status: Status('no_changes') }),
]);

export const TABLE_SCHEMAS = [
  TableRead,
  TableCreate,
  TableUpdate,
  ColumnDefinition,
  ColumnUpdate,
  TableDataResponse,
  TableDeleteResponse,
  RowDeleteResponse,
];
