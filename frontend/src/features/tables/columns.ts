// Columns of a table as the dashboard sees them (from its table_schema), and how typed text becomes a row value.
// Pure functions: unit-tested in columns.test.ts.

export interface ColumnInfo {
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}

/** The column types offered when creating a table (the API maps them to Postgres types). */
export const COLUMN_TYPES = [
  'text',
  'varchar',
  'integer',
  'bigint',
  'decimal',
  'float',
  'boolean',
  'date',
  'timestamp',
  'jsonb',
  'uuid',
] as const;

/** Columns the API adds itself when a table is created without them (filled by their defaults). */
export const AUTOMATIC_COLUMNS = new Set(['id', 'created_at', 'updated_at']);

/** Reads `table_schema` ({"col": {"type", "nullable", "default"}}, or JSON Schema with "properties"). */
export function columnsOf(tableSchema: Record<string, unknown>): ColumnInfo[] {
  const source =
    tableSchema.properties && typeof tableSchema.properties === 'object'
      ? (tableSchema.properties as Record<string, unknown>)
      : tableSchema;
  return Object.entries(source).map(([name, raw]) => {
    const spec = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    return {
      name,
      type: typeof spec.type === 'string' ? spec.type.toLowerCase() : 'text',
      nullable: spec.nullable !== false,
      hasDefault: spec.default !== undefined && spec.default !== null,
    };
  });
}

export type ColumnKind = 'number' | 'boolean' | 'json' | 'text';

export function kindOf(type: string): ColumnKind {
  const t = type.toLowerCase();
  if (/^(int|integer|bigint|smallint|serial|bigserial|decimal|numeric|float|real|double)/.test(t))
    return 'number';
  if (t.startsWith('bool')) return 'boolean';
  if (t.startsWith('json')) return 'json';
  return 'text';
}

/**
 * The value to send for what was typed into a cell: '' is null for nullable columns, numbers and booleans are
 * checked, JSON is parsed; text stays text. Throws a readable message for input that cannot fit.
 */
export function parseCellInput(column: ColumnInfo, text: string): unknown {
  if (text === '' && column.nullable) return null;
  switch (kindOf(column.type)) {
    case 'number': {
      const trimmed = text.trim();
      if (trimmed === '' || !/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) {
        throw new Error(`${column.name}: "${text}" is not a number`);
      }
      // Sent as text: bigint and numeric values keep every digit; the server casts.
      return trimmed;
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t === 'true' || t === 't' || t === '1') return true;
      if (t === 'false' || t === 'f' || t === '0') return false;
      throw new Error(`${column.name}: "${text}" is not true or false`);
    }
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`${column.name}: not valid JSON`);
      }
    default:
      return text;
  }
}
