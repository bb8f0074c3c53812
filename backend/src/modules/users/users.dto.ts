import type { UserRow } from './users.repository.ts';

/** The public shape of a user (SelfDB 0.0.5's UserRead, camelCase fields). Never includes the hash. */
export interface UserDto {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: 'USER' | 'ADMIN';
  isActive: boolean;
  created_at: string | null;
}

export function toUserDto(row: UserRow): UserDto {
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role,
    isActive: row.is_active,
    created_at: row.created_at ? row.created_at.toISOString() : null,
  };
}
