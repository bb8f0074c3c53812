import type { Queryable } from '@selfdb/common';
import { kindOfCatalogType } from './column-types.ts';
import { loadTableMeta, type TableMetaRow } from './tables.repository.ts';
import type { ValueColumn } from './values.ts';

export interface MetaColumn extends ValueColumn {
  notNull: boolean;
  hasDefault: boolean;
  /** Generated columns and GENERATED ALWAYS identities: Postgres fills them, writes are refused. */
  generated: boolean;
}

/** What every data request needs to know about a table, read from the registry and the catalog. */
export interface TableMeta {
  id: string;
  name: string;
  public: boolean;
  owner_id: string;
  realtimeEnabled: boolean;
  /** false when the registry names a table that no longer exists. */
  exists: boolean;
  columns: Map<string, MetaColumn>;
  columnNames: string[];
  primaryKey: string[];
  /** Columns that identify one row on their own (primary key or single-column unique index). */
  uniqueColumns: Set<string>;
  /** Text columns, searched by `search`. */
  searchColumns: string[];
  /** `user_id` when the table has one of a type that can hold a user id: rows then belong to that user. */
  ownerColumn: string | null;
  /** The row-count triggers are in place, so the unfiltered total comes from the deltas, not a scan. */
  counted: boolean;
}

function toMeta(row: TableMetaRow): TableMeta {
  const columns = new Map<string, MetaColumn>();
  for (const c of row.columns ?? []) {
    columns.set(c.name, {
      name: c.name,
      type: c.type,
      kind: kindOfCatalogType(c.typname),
      array: c.array,
      notNull: c.notnull,
      hasDefault: c.has_default,
      generated: c.generated,
      ...(c.max_length !== null && { maxLength: c.max_length }),
    });
  }
  const userId = columns.get('user_id');
  const primaryKey = row.pk ?? [];
  return {
    id: row.id,
    name: row.name,
    public: row.public,
    owner_id: row.owner_id,
    realtimeEnabled: row.realtime_enabled,
    exists: row.relid !== null,
    columns,
    columnNames: [...columns.keys()],
    primaryKey,
    uniqueColumns: new Set([...(row.unique_columns ?? []), ...(primaryKey.length === 1 ? primaryKey : [])]),
    searchColumns: [...columns.values()].filter((c) => c.kind === 'text' && !c.array).map((c) => c.name),
    ownerColumn:
      userId && !userId.array && (userId.kind === 'uuid' || userId.kind === 'text') ? 'user_id' : null,
    counted: row.counted,
  };
}

interface Entry {
  meta: TableMeta | null;
  expires: number;
}

const MAX_ENTRIES = 10_000;

/**
 * Table metadata cached per process so that a data request costs one query. This process drops an entry as soon
 * as it changes the table; changes made by other backend processes (or in SQL) are picked up when the entry
 * expires after `ttlMs`, and sooner for columns and names: a query that fails on a missing table or column drops
 * the entry and is retried once with fresh metadata (see rows.service.ts).
 */
export class TableMetaCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<TableMeta | null>>();
  /** Bumped on every invalidation, so a load that started before a change never stores what it read. */
  private generation = 0;

  constructor(
    private readonly db: Queryable,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The table's metadata (null: no such registry entry), from the cache when fresh. */
  get(id: string): Promise<TableMeta | null> {
    const entry = this.entries.get(id);
    if (entry && entry.expires > this.now()) return Promise.resolve(entry.meta);
    const pending = this.loading.get(id);
    if (pending) return pending;
    const generation = this.generation;
    const load = loadTableMeta(this.db, id)
      .then((row) => {
        const meta = row ? toMeta(row) : null;
        if (generation === this.generation && this.ttlMs > 0) {
          if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
          this.entries.set(id, { meta, expires: this.now() + this.ttlMs });
        }
        return meta;
      })
      .finally(() => {
        if (this.loading.get(id) === load) this.loading.delete(id);
      });
    this.loading.set(id, load);
    return load;
  }

  /** Forgets a table (after this process changed it, or when a query found the metadata stale). */
  invalidate(id: string): void {
    this.generation += 1;
    this.entries.delete(id);
    this.loading.delete(id);
  }
}
