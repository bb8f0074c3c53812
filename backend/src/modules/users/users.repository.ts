import type { Queryable } from '@selfdb/common';
import { searchPattern } from '../../db/like.ts';

export interface UserRow {
  id: string;
  email: string;
  password: string;
  first_name: string;
  last_name: string;
  role: 'USER' | 'ADMIN';
  is_active: boolean;
  created_at: Date | null;
}

export type UserSortColumn = 'created_at' | 'email' | 'first_name' | 'last_name';

export interface UserChanges {
  email?: string;
  password?: string;
  first_name?: string;
  last_name?: string;
  role?: 'USER' | 'ADMIN';
  is_active?: boolean;
}

/** The columns of a UserRow, for queries that read users (here and in the auth repository). */
export const USER_COLUMNS = 'id, email, password, first_name, last_name, role, is_active, created_at';
// Whitelist of updatable columns: UserChanges keys are never taken from request text.
const UPDATABLE: ReadonlyArray<keyof UserChanges> = [
  'email',
  'password',
  'first_name',
  'last_name',
  'role',
  'is_active',
];

export async function findUserById(db: Queryable, id: string): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users WHERE lower(email) = lower($1) ORDER BY created_at LIMIT 1`,
    [email],
  );
  return rows[0] ?? null;
}

/** Inserts a user unless one with the same email (any case) exists; returns null in that case. */
export async function insertUser(
  db: Queryable,
  user: { email: string; passwordHash: string; firstName: string; lastName: string; role: 'USER' | 'ADMIN' },
): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (email, password, first_name, last_name, role)
     SELECT $1::text, $2::text, $3::text, $4::text, $5::text
     WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1::text))
     ON CONFLICT (email) DO NOTHING
     RETURNING ${USER_COLUMNS}`,
    [user.email, user.passwordHash, user.firstName, user.lastName, user.role],
  );
  return rows[0] ?? null;
}

export async function listUsers(
  db: Queryable,
  query: { skip: number; limit: number; search?: string; sortBy: UserSortColumn; sortOrder: 'asc' | 'desc' },
): Promise<UserRow[]> {
  const order = query.sortOrder === 'asc' ? 'ASC' : 'DESC';
  // sortBy is a UserSortColumn (validated against an enum), so it is safe as an identifier.
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users
     WHERE $1::text IS NULL OR email ILIKE $1 OR first_name ILIKE $1 OR last_name ILIKE $1
     ORDER BY ${query.sortBy} ${order} NULLS LAST, id ${order}
     OFFSET $2 LIMIT $3`,
    [searchPattern(query.search), query.skip, query.limit],
  );
  return rows;
}

export async function countUsers(db: Queryable, search?: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM users
     WHERE $1::text IS NULL OR email ILIKE $1 OR first_name ILIKE $1 OR last_name ILIKE $1`,
    [searchPattern(search)],
  );
  return rows[0]?.count ?? 0;
}

/** Updates the given columns; returns the new row, or null when the user does not exist. */
export async function updateUser(db: Queryable, id: string, changes: UserChanges): Promise<UserRow | null> {
  const columns = UPDATABLE.filter((column) => changes[column] !== undefined);
  if (columns.length === 0) return findUserById(db, id);
  const assignments = columns.map((column, index) => `${column} = $${index + 2}`).join(', ');
  const { rows } = await db.query<UserRow>(
    `UPDATE users SET ${assignments} WHERE id = $1 RETURNING ${USER_COLUMNS}`,
    [id, ...columns.map((column) => changes[column])],
  );
  return rows[0] ?? null;
}

export async function deleteUser(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM users WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

/** Locks and counts the active admins other than `exceptId`, so two concurrent demotions cannot both pass. */
export async function countOtherActiveAdmins(db: Queryable, exceptId: string): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM users WHERE role = 'ADMIN' AND is_active AND id <> $1 FOR UPDATE`,
    [exceptId],
  );
  return rows.length;
}
