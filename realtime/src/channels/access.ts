import { type Actor, canRead, ErrorCode, isAdmin, type Queryable } from '@selfdb/common';
import { findTableAccess, type TableAccessRow } from './access.repository.ts';

/** Tables every instance captures, whose topics only admins may join (SPEC §2.2). */
export const SYSTEM_TABLES: ReadonlySet<string> = new Set(['users', 'tables', 'buckets', 'files']);

/** Columns never captured (migration 0003), so never filterable either. */
const HIDDEN_COLUMNS: Readonly<Record<string, readonly string[]>> = { users: ['password'] };

export const isHiddenColumn = (table: string, column: string): boolean =>
  HIDDEN_COLUMNS[table]?.includes(column) ?? false;

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The table behind a `table:<name>` topic, or null for a topic this service does not serve. */
export function tableOfTopic(topic: string): string | null {
  if (!topic.startsWith('table:')) return null;
  const name = topic.slice('table:'.length);
  return TABLE_NAME.test(name) ? name : null;
}

/** What decides who may read a topic: a system table, or a user table's registry row (null: no such table). */
export type TopicState = { system: true } | { system: false; row: TableAccessRow | null };

export interface Refusal {
  reason: string;
  code: string;
}

/**
 * SPEC §2.1 for realtime: system topics are admins only; a user table follows `canRead` (public: anyone with the
 * API key; private: its owner and admins). A private table the caller may not read answers like a missing one,
 * so a join says nothing about whether it exists.
 */
export function checkTopicAccess(actor: Actor | null, table: string, state: TopicState): Refusal | null {
  if (state.system) {
    return isAdmin(actor) ? null : { reason: `table:${table} is for admins only`, code: ErrorCode.FORBIDDEN };
  }
  if (state.row && canRead(actor, state.row)) return null;
  return { reason: `table ${table} not found`, code: ErrorCode.NOT_FOUND };
}

/** Reads the current access state of a table (the registry for user tables). */
export async function loadTopicState(db: Queryable, table: string): Promise<TopicState> {
  if (SYSTEM_TABLES.has(table)) return { system: true };
  return { system: false, row: await findTableAccess(db, table) };
}

/** The registry row as the `tables` change carries it (new_row of realtime.changes). */
export function tableAccessFromChange(row: Record<string, unknown>): TableAccessRow {
  return {
    name: String(row.name),
    public: row.public === true,
    owner_id: typeof row.owner_id === 'string' ? row.owner_id : null,
    realtime_enabled: row.realtime_enabled === true,
  };
}
