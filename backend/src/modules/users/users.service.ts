import {
  type Actor,
  AppError,
  ErrorCode,
  ERRORS,
  isAdmin,
  type Pool,
  type Queryable,
  withTransaction,
} from '@selfdb/common';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { toUserDto, type UserDto } from './users.dto.ts';
import {
  countOtherActiveAdmins,
  countUsers,
  deleteUser,
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  type UserChanges,
  type UserRow,
  type UserSortColumn,
  updateUser,
} from './users.repository.ts';

export interface NewUser {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
}

export interface UserPatch {
  email?: string | null;
  password?: string | null;
  /** The password the user has now: required when users change their own password. */
  currentPassword?: string | null;
  role?: 'USER' | 'ADMIN' | null;
  isActive?: boolean | null;
  firstName?: string | null;
  lastName?: string | null;
}

export interface UserListQuery {
  skip: number;
  limit: number;
  search?: string;
  sortBy: UserSortColumn;
  sortOrder: 'asc' | 'desc';
}

function assertAdmin(actor: Actor) {
  if (!isAdmin(actor)) throw ERRORS.adminRequired();
}

/** Users see and edit themselves; admins everyone. Asked before existence, so a 403 tells nothing about others. */
function assertSelfOrAdmin(actor: Actor, userId: string) {
  if (actor.id !== userId && !isAdmin(actor)) throw AppError.forbidden('Not authorized');
}

/** Refuses a change that would leave no active admin (nobody could administer the instance any more). */
async function assertKeepsAnAdmin(
  db: Queryable,
  target: UserRow,
  after: { role: string; isActive: boolean },
) {
  const loses = target.role === 'ADMIN' && target.is_active && (after.role !== 'ADMIN' || !after.isActive);
  if (loses && (await countOtherActiveAdmins(db, target.id)) === 0) {
    throw AppError.conflict(
      'This is the last active admin: make another user admin first',
      ErrorCode.LAST_ADMIN,
    );
  }
}

export function createUsersService(pool: Pool) {
  return {
    /** Self-registration: always a USER. A taken email (any letter case) answers 409. */
    async register(input: NewUser): Promise<UserDto> {
      const row = await insertUser(pool, {
        email: input.email,
        passwordHash: await hashPassword(input.password),
        firstName: input.firstName,
        lastName: input.lastName,
        role: 'USER',
      });
      if (!row) throw AppError.conflict('Email already registered', ErrorCode.EMAIL_TAKEN);
      return toUserDto(row);
    },

    /** Creates the configured admin when no user has that email; never changes an existing user. */
    async ensureAdmin(admin: NewUser): Promise<boolean> {
      if (await findUserByEmail(pool, admin.email)) return false;
      const row = await insertUser(pool, {
        email: admin.email,
        passwordHash: await hashPassword(admin.password),
        firstName: admin.firstName,
        lastName: admin.lastName,
        role: 'ADMIN',
      });
      return row !== null;
    },

    async list(actor: Actor, query: UserListQuery): Promise<UserDto[]> {
      assertAdmin(actor);
      return (await listUsers(pool, query)).map(toUserDto);
    },

    async count(actor: Actor, search?: string): Promise<number> {
      assertAdmin(actor);
      return countUsers(pool, search);
    },

    async get(actor: Actor, userId: string): Promise<UserDto> {
      assertSelfOrAdmin(actor, userId);
      const row = await findUserById(pool, userId);
      if (!row) throw ERRORS.userNotFound();
      return toUserDto(row);
    },

    /**
     * Updates a profile. Users may change their own email, names and password (with their current password);
     * only admins change `role` and `isActive`, or touch other users (an admin sets another user's password
     * without knowing the old one). A new password, a new role or a deactivation ends every session of the user
     * (the `users_end_sessions` trigger, migration 0032): their tokens are refused from then on.
     */
    async update(actor: Actor, userId: string, patch: UserPatch): Promise<UserDto> {
      assertSelfOrAdmin(actor, userId);
      if (!isAdmin(actor) && (patch.role != null || patch.isActive != null)) {
        throw AppError.forbidden('Only admins can change role or isActive');
      }
      if (patch.password && actor.id === userId) {
        // A stolen access token must not be enough to take the account over for good.
        if (!patch.currentPassword) {
          throw ERRORS.invalidCurrentPassword('current_password is required to change your own password');
        }
        const self = await findUserById(pool, userId);
        if (!self || !(await verifyPassword(self.password, patch.currentPassword))) {
          throw ERRORS.invalidCurrentPassword('Current password is incorrect');
        }
      }
      const changes: UserChanges = {
        email: patch.email ?? undefined,
        first_name: patch.firstName ?? undefined,
        last_name: patch.lastName ?? undefined,
        role: patch.role ?? undefined,
        is_active: patch.isActive ?? undefined,
        password: patch.password ? await hashPassword(patch.password) : undefined,
      };
      const row = await withTransaction(pool, async (client) => {
        const target = await findUserById(client, userId);
        if (!target) throw ERRORS.userNotFound();
        if (changes.email && changes.email.toLowerCase() !== target.email.toLowerCase()) {
          const holder = await findUserByEmail(client, changes.email);
          if (holder && holder.id !== userId) throw ERRORS.emailTaken();
        }
        await assertKeepsAnAdmin(client, target, {
          role: changes.role ?? target.role,
          isActive: changes.is_active ?? target.is_active,
        });
        const updated = await updateUser(client, userId, changes);
        if (!updated) throw ERRORS.userNotFound();
        return updated;
      });
      return toUserDto(row);
    },

    async remove(actor: Actor, userId: string): Promise<{ status: 'user_deleted'; id: string }> {
      assertAdmin(actor);
      await withTransaction(pool, async (client) => {
        const target = await findUserById(client, userId);
        if (!target) throw ERRORS.userNotFound();
        await assertKeepsAnAdmin(client, target, { role: 'USER', isActive: false });
        await deleteUser(client, userId);
      });
      return { status: 'user_deleted', id: userId };
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
