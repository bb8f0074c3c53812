import {
  type Actor,
  CAPTURED_SELFDB_TABLES,
  canRead,
  ErrorCode,
  isAdmin,
  isPlainIdentifier,
  type Queryable,
} from '@selfdb/common';
import type { ChangeRow, TableIdentity } from '../pubsub/outbox.repository.ts';
import { findTableAccess, type TableAccessRow } from './access.repository.ts';

/** Tables every instance captures, whose topics only admins may join (SPEC §2.2). */
export const SYSTEM_TABLES = CAPTURED_SELFDB_TABLES;

/** Columns never captured (migration 0003), so never filterable either. */
const HIDDEN_COLUMNS: Readonly<Record<string, readonly string[]>> = { users: ['password'] };

export const isHiddenColumn = (table: string, column: string): boolean =>
  HIDDEN_COLUMNS[table]?.includes(column) ?? false;

/** The table behind a `table:<name>` topic, or null for a topic this service does not serve. */
export function tableOfTopic(topic: string): string | null {
  if (!topic.startsWith('table:')) return null;
  const name = topic.slice('table:'.length);
  return isPlainIdentifier(name) ? name : null;
}

/**
 * What decides who may read a topic: a system table, or a user table's registry row (null: no such table) and the
 * seq its current epoch starts at (see `TableEpochRow.since_seq`).
 */
export type TopicState = { system: true } | { system: false; row: TableAccessRow | null; sinceSeq: number };

/** The identity a joined topic follows (null for a user table that does not exist). */
export function identityOf(table: string, state: TopicState): TableIdentity | null {
  if (state.system) return { systemTable: table };
  return state.row ? { tableId: state.row.id } : null;
}

/** Hub key of an identity; `changeKey` gives the same key for the identity's changes. */
export const identityKey = (identity: TableIdentity): string =>
  'tableId' in identity ? identity.tableId : `system:${identity.systemTable}`;

/** Hub key of the identity a change belongs to (a user table change without an id matches nobody's topic). */
export const changeKey = (change: ChangeRow): string => change.table_id ?? `system:${change.table_name}`;

export interface Refusal {
  reason: string;
  code: string;
}

/**
 * SPEC §2.1 for realtime: system topics are admins only; a user table follows `canRead` (public: anyone with the
 * API key; private: its owner and admins). Without a token, whatever is not a public table asks for one
 * (`NOT_AUTHENTICATED`, REST's 401), a missing table included, so the answer says nothing about whether a private
 * table of that name exists. A signed-in user is told a private table they may not read is not found, as REST does.
 */
export function checkTopicAccess(actor: Actor | null, table: string, state: TopicState): Refusal | null {
  if (state.system) {
    if (isAdmin(actor)) return null;
    if (actor === null) {
      return notAuthenticated(`table:${table} is for admins only; connect with an admin's access token`);
    }
    return { reason: `table:${table} is for admins only`, code: ErrorCode.FORBIDDEN };
  }
  if (state.row && canRead(actor, state.row)) return null;
  if (actor === null) {
    return notAuthenticated(
      `table:${table} is not a public table; connect with an access token to join private tables`,
    );
  }
  return { reason: `table ${table} not found`, code: ErrorCode.NOT_FOUND };
}

const notAuthenticated = (why: string): Refusal => ({
  reason: `not authenticated: ${why}`,
  code: ErrorCode.NOT_AUTHENTICATED,
});

/** Reads the current access state of a table (the registry and its epoch for user tables). */
export async function loadTopicState(db: Queryable, table: string): Promise<TopicState> {
  if (SYSTEM_TABLES.has(table)) return { system: true };
  const found = await findTableAccess(db, table);
  if (!found) return { system: false, row: null, sinceSeq: 0 };
  const { since_seq: sinceSeq, ...row } = found;
  return { system: false, row, sinceSeq };
}

/** The registry row as the `tables` change carries it (new_row of realtime.changes). */
export function tableAccessFromChange(row: Record<string, unknown>): TableAccessRow {
  return {
    id: String(row.id),
    name: String(row.name),
    public: row.public === true,
    owner_id: typeof row.owner_id === 'string' ? row.owner_id : null,
    realtime_enabled: row.realtime_enabled === true,
  };
}
