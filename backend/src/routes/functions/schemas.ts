import { type Static, Type } from 'typebox';
import { Nullable, SearchTerm, SortOrder, Uuid } from '../../schemas/common.ts';

// SelfDB 0.0.5's limits (backend/models/function.py).
const Name = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$',
  description: 'Function name (start with letter, alphanumeric/underscore/hyphen)',
});
/** Non-blank; at most 1,000,000 characters (the JSON body limit is 1 MiB anyway). */
const Code = Type.String({
  minLength: 1,
  maxLength: 1_000_000,
  pattern: '\\S',
  description: 'Function source code (TypeScript/Deno)',
});
const Description = Type.String({ maxLength: 1000 });
const Timeout = Type.Integer({ minimum: 5, maximum: 300 });
/** `context.env` of the function: string values only, at most 100 of them. */
const EnvVars = Type.Unsafe<Record<string, string>>(
  Type.Object(
    {},
    {
      additionalProperties: Type.String({ maxLength: 65_536 }),
      maxProperties: 100,
      description: 'Environment variables dictionary',
    },
  ),
);
const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
const AnyObject = Type.Object({}, { additionalProperties: true });

export const FunctionCreate = Type.Object(
  {
    name: Name,
    code: Code,
    description: Nullable(Description),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 300, default: 30 })),
    env_vars: Nullable(EnvVars),
  },
  { additionalProperties: false, $id: 'FunctionCreate', title: 'FunctionCreate' },
);
export type FunctionCreate = Static<typeof FunctionCreate>;

export const FunctionUpdate = Type.Object(
  {
    name: Nullable(Name),
    description: Nullable(Description),
    code: Nullable(Code),
    timeout_seconds: Nullable(Timeout),
    is_active: Nullable(Type.Boolean()),
    env_vars: Nullable(EnvVars),
  },
  {
    additionalProperties: false,
    $id: 'FunctionUpdate',
    title: 'FunctionUpdate',
    description:
      'Absent or null fields are left unchanged (`description: null` clears it). A new `code` is a new version, `pending` until deployed.',
  },
);
export type FunctionUpdate = Static<typeof FunctionUpdate>;

export const FunctionEnvVarsUpdate = Type.Object(
  { env_vars: EnvVars },
  { additionalProperties: false, $id: 'FunctionEnvVarsUpdate', title: 'FunctionEnvVarsUpdate' },
);
export type FunctionEnvVarsUpdate = Static<typeof FunctionEnvVarsUpdate>;

export const FunctionRead = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    timeout_seconds: Type.Integer(),
    code: Type.String({ description: 'The latest version (which may not be deployed yet)' }),
    owner_id: Uuid,
    is_active: Type.Boolean(),
    deployment_status: Type.String({
      description:
        'pending (latest version not deployed), deployed, failed (the latest version did not load: deployment_error), undeployed',
    }),
    deployment_error: Type.Union([Type.String(), Type.Null()]),
    version: Type.Integer({ description: 'The latest version: each code change adds one' }),
    env_vars: AnyObject,
    execution_count: Type.Integer(),
    execution_success_count: Type.Integer(),
    execution_error_count: Type.Integer(),
    last_executed_at: NullableDateTime,
    avg_execution_time_ms: Type.Union([Type.Integer(), Type.Null()]),
    last_deployed_at: NullableDateTime,
    created_at: NullableDateTime,
    updated_at: NullableDateTime,
    deployed_version: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The version the runtime runs (SelfDB addition); null: never deployed',
    }),
    triggers: Type.Array(AnyObject, {
      description: 'The triggers the deployed version declares (`export const triggers`; SelfDB addition)',
    }),
  },
  { $id: 'FunctionRead', title: 'FunctionRead' },
);

export const FunctionListResponse = Type.Object(
  {
    functions: Type.Array(Type.Unsafe({ $ref: 'FunctionRead#' })),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  },
  { $id: 'FunctionListResponse', title: 'FunctionListResponse' },
);

export const FunctionExecutionRead = Type.Object(
  {
    id: Uuid,
    function_id: Uuid,
    user_id: Uuid,
    trigger_type: Type.String(),
    status: Type.String({ description: 'running, completed, failed, timeout' }),
    started_at: DateTime,
    completed_at: NullableDateTime,
    duration_ms: Type.Union([Type.Integer(), Type.Null()]),
    result: Type.Union([AnyObject, Type.Null()]),
    error_message: Type.Union([Type.String(), Type.Null()]),
    created_at: DateTime,
  },
  { $id: 'FunctionExecutionRead', title: 'FunctionExecutionRead' },
);

export const FunctionExecutionListResponse = Type.Object(
  {
    executions: Type.Array(Type.Unsafe({ $ref: 'FunctionExecutionRead#' })),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  },
  { $id: 'FunctionExecutionListResponse', title: 'FunctionExecutionListResponse' },
);

export const FunctionLogRead = Type.Object(
  {
    id: Uuid,
    execution_id: Uuid,
    function_id: Uuid,
    log_level: Type.String({ description: 'debug, info, warn, error' }),
    message: Type.String(),
    timestamp: DateTime,
  },
  { $id: 'FunctionLogRead', title: 'FunctionLogRead' },
);

export const FunctionLogListResponse = Type.Object(
  {
    logs: Type.Array(Type.Unsafe({ $ref: 'FunctionLogRead#' })),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  },
  { $id: 'FunctionLogListResponse', title: 'FunctionLogListResponse' },
);

export const FunctionIdParams = Type.Object({ function_id: Uuid });
export type FunctionIdParams = Static<typeof FunctionIdParams>;

const Offset = Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, default: 0 }));

export const ListFunctionsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  offset: Offset,
  search: Type.Optional(SearchTerm),
  sort_by: Type.Optional(
    Type.Union(
      [
        Type.Literal('created_at'),
        Type.Literal('updated_at'),
        Type.Literal('name'),
        Type.Literal('last_executed_at'),
        Type.Literal('execution_count'),
      ],
      { default: 'created_at', description: 'Field to sort by' },
    ),
  ),
  sort_order: SortOrder,
});
export type ListFunctionsQuery = Static<typeof ListFunctionsQuery>;

export const ListExecutionsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  offset: Offset,
});
export type ListExecutionsQuery = Static<typeof ListExecutionsQuery>;

export const ListLogsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Offset,
  level: Type.Optional(
    Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], {
      description: 'Filter by log level',
    }),
  ),
});
export type ListLogsQuery = Static<typeof ListLogsQuery>;

export const NoContent = (description: string) => Type.Null({ description });

export const FUNCTION_SCHEMAS = [
  FunctionCreate,
  FunctionUpdate,
  FunctionEnvVarsUpdate,
  FunctionRead,
  FunctionListResponse,
  FunctionExecutionRead,
  FunctionExecutionListResponse,
  FunctionLogRead,
  FunctionLogListResponse,
];
