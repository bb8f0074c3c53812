import { ERRORS, preview } from '@selfdb/common';
import { type ColumnType, parseColumnType } from './column-types.ts';
import { type DefaultSpec, parseDefault } from './defaults.ts';
import { assertColumnName } from './identifiers.ts';

/** One column as the API describes it, checked. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
  default: DefaultSpec | null;
  primaryKey: boolean;
  /** integer/bigint ids without a default number themselves. */
  identity: boolean;
}

/** The flat `table_schema` entry SelfDB stores for a column: `{type, nullable, default?}`. */
export interface SchemaEntry {
  type: string;
  nullable: boolean;
  default?: unknown;
  [key: string]: unknown;
}
export type TableSchema = Record<string, SchemaEntry>;

export const MAX_COLUMNS = 250;

// JSON Schema types (the example in SelfDB 0.0.5's OpenAPI document) mapped to column types.
const JSON_SCHEMA_TYPES: Record<string, string> = {
  string: 'text',
  number: 'double precision',
  integer: 'bigint',
  boolean: 'boolean',
  object: 'jsonb',
  array: 'jsonb',
};

/**
 * SelfDB 0.0.5's own OpenAPI example describes tables as JSON Schema (`{"type":"object","properties":{...}}`); its
 * code read the flat format. Both work here: JSON Schema is translated to the flat format.
 */
function fromJsonSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown>;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.fromEntries(
    Object.entries(properties).map(([name, property]) => {
      const jsonType = (property as { type?: unknown } | null)?.type;
      const type = typeof jsonType === 'string' ? JSON_SCHEMA_TYPES[jsonType] : undefined;
      if (!type)
        throw ERRORS.invalidTableSchema(`Unsupported JSON Schema type for column '${preview(name)}'`);
      return [name, { type, nullable: !required.has(name) }];
    }),
  );
}

/** Checks one `{type, nullable, default}` entry (a bare type string is accepted too). */
export function parseColumnEntry(name: string, entry: unknown): ColumnSpec {
  assertColumnName(name);
  const value = typeof entry === 'string' ? { type: entry } : entry;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw ERRORS.invalidTableSchema(
      `Column '${name}' must be an object like {"type": "text", "nullable": true}`,
    );
  const { type: rawType = 'text', nullable = true, default: rawDefault } = value as Record<string, unknown>;
  if (typeof nullable !== 'boolean')
    throw ERRORS.invalidTableSchema(`'nullable' of column '${name}' must be true or false`);
  const type = parseColumnType(rawType, name);
  return {
    name,
    type,
    nullable,
    default: parseDefault(rawDefault, name, type),
    primaryKey: false,
    identity: false,
  };
}

/**
 * Turns a create request's `table_schema` into the columns to create, adding what SPEC §2.4 promises when absent:
 * `id uuid primary key default gen_random_uuid()`, `created_at` and `updated_at timestamptz not null default now()`.
 * A given `id` becomes the primary key (with a generated default when it has none). Throws 400 on any bad entry.
 */
export function parseTableSchema(input: Record<string, unknown>): ColumnSpec[] {
  const flat =
    input.type === 'object' && input.properties && typeof input.properties === 'object'
      ? fromJsonSchema(input)
      : input;
  const entries = Object.entries(flat);
  if (entries.length === 0) throw ERRORS.invalidTableSchema('table_schema must describe at least one column');
  if (entries.length > MAX_COLUMNS)
    throw ERRORS.invalidTableSchema(`A table may have at most ${MAX_COLUMNS} columns`);
  const columns = entries.map(([name, entry]) => parseColumnEntry(name, entry));
  const id = columns.find((c) => c.name === 'id');
  if (id) {
    id.primaryKey = true;
    id.nullable = false;
    if (!id.default && !id.type.array) {
      if (id.type.kind === 'uuid') id.default = { kind: 'function', sql: 'gen_random_uuid()' };
      else if (id.type.kind === 'integer' || id.type.kind === 'bigint') id.identity = true;
    }
  } else {
    columns.unshift({
      name: 'id',
      type: parseColumnType('uuid', 'id'),
      nullable: false,
      default: { kind: 'function', sql: 'gen_random_uuid()' },
      primaryKey: true,
      identity: false,
    });
  }
  for (const name of ['created_at', 'updated_at']) {
    if (columns.some((c) => c.name === name)) continue;
    columns.push({
      name,
      type: parseColumnType('timestamptz', name),
      nullable: false,
      default: { kind: 'function', sql: 'now()' },
      primaryKey: false,
      identity: false,
    });
  }
  return columns;
}

/** The flat entry stored in `table_schema` for a column. */
export function toSchemaEntry(column: ColumnSpec, spelledType?: string): SchemaEntry {
  const entry: SchemaEntry = { type: spelledType ?? column.type.sql, nullable: column.nullable };
  if (column.default)
    entry.default = column.default.kind === 'function' ? column.default.sql : column.default.value;
  if (column.primaryKey) entry.primary_key = true;
  return entry;
}

/** `table_schema` for created columns, keeping each type as the client spelled it. */
export function toTableSchema(columns: ColumnSpec[], input: Record<string, unknown>): TableSchema {
  const spelled = (name: string) => {
    const entry = input[name];
    if (typeof entry === 'string') return entry;
    const type = (entry as { type?: unknown } | undefined)?.type;
    return typeof type === 'string' ? type : undefined;
  };
  return Object.fromEntries(columns.map((c) => [c.name, toSchemaEntry(c, spelled(c.name))]));
}
