import type { TableSchema } from './table-schema.ts';
import type { TableRow } from './tables.repository.ts';

/** SelfDB 0.0.5's TableRead. */
export interface TableDto {
  id: string;
  name: string;
  table_schema: TableSchema;
  public: boolean;
  description: string | null;
  metadata: Record<string, unknown>;
  owner_id: string;
  row_count: number;
  realtime_enabled: boolean;
  created_at: string | null;
  updated_at: string | null;
}

export function toTableDto(row: TableRow): TableDto {
  return {
    id: row.id,
    name: row.name,
    table_schema: row.table_schema,
    public: row.public,
    description: row.description,
    metadata: row.metadata ?? {},
    owner_id: row.owner_id,
    row_count: Number(row.row_count),
    realtime_enabled: row.realtime_enabled,
    created_at: row.created_at ? row.created_at.toISOString() : null,
    updated_at: row.updated_at ? row.updated_at.toISOString() : null,
  };
}
