import {
  type Actor,
  AppError,
  canManage,
  canRead,
  ErrorCode,
  ERRORS,
  type OwnedResource,
} from '@selfdb/common';
import type { TableMeta } from './table-meta.ts';

/**
 * SPEC §2.1 for a table the caller names by id: a private table they cannot read does not exist for a signed-in
 * user (404, as for an unknown id), and asks an anonymous caller to sign in (401, SelfDB 0.0.5's answer).
 */
export function assertCanSeeTable(actor: Actor | null, table: OwnedResource): void {
  if (canRead(actor, table)) return;
  if (actor === null)
    throw AppError.unauthorized(
      'Authentication required to access private tables',
      ErrorCode.NOT_AUTHENTICATED,
    );
  throw ERRORS.tableNotFound();
}

/** Changing the table itself (metadata, columns, deletion): its owner or an admin. */
export function assertCanManageTable(actor: Actor | null, table: OwnedResource): void {
  assertCanSeeTable(actor, table);
  if (!canManage(actor, table)) throw AppError.forbidden('You can only modify tables you own');
}

/** Adding rows: a signed-in user who can see the table. */
export function assertCanInsertRows(actor: Actor | null, table: OwnedResource): asserts actor is Actor {
  assertCanSeeTable(actor, table);
  if (actor === null)
    throw AppError.unauthorized('Authentication required to insert rows', ErrorCode.NOT_AUTHENTICATED);
}

/**
 * Which existing rows the caller may change: all of them (admins, the table's owner), or, when the table has a
 * `user_id` column, the rows whose `user_id` is theirs. Anyone else may not change rows: 403.
 */
export function rowOwnerScope(
  actor: Actor | null,
  meta: TableMeta,
): { column: string; value: string } | null {
  assertCanSeeTable(actor, meta);
  if (actor === null)
    throw AppError.unauthorized('Authentication required to modify rows', ErrorCode.NOT_AUTHENTICATED);
  if (canManage(actor, meta)) return null;
  if (meta.ownerColumn) return { column: meta.ownerColumn, value: actor.id };
  throw AppError.forbidden(
    'Only the table owner or an admin can modify rows of a table without a user_id column',
  );
}
