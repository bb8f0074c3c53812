import { type Static, Type } from 'typebox';
import { Nullable, SearchTerm, Skip, SortOrder, Uuid } from '../../schemas/common.ts';

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\x00]+$' });
const Email = Type.String({ format: 'email', maxLength: 255 });
const NewPassword = Type.String({ minLength: 8, maxLength: 72, pattern: '^[A-Za-z0-9@$!%*?&]{8,72}$' });
/** A password as login takes it (any printable ASCII): checked against the hash, never stored. */
const AnyPassword = Type.String({ minLength: 1, maxLength: 72, pattern: '^[\\x20-\\x7E]+$' });
const UserRole = Type.Union([Type.Literal('USER'), Type.Literal('ADMIN')], {
  $id: 'UserRole',
  title: 'UserRole',
});

export const UserRead = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    firstName: Type.String(),
    lastName: Type.String(),
    role: Type.Union([Type.Literal('USER'), Type.Literal('ADMIN')]),
    isActive: Type.Boolean(),
    created_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'UserRead', title: 'UserRead' },
);

export const UserCreate = Type.Object(
  { email: Email, firstName: Name, lastName: Name, password: NewPassword },
  { additionalProperties: false, $id: 'UserCreate', title: 'UserCreate' },
);
export type UserCreate = Static<typeof UserCreate>;

/**
 * Accepts camelCase and SelfDB 0.0.5's snake_case aliases; null means "leave unchanged". `current_password` is
 * SelfDB-TS's addition (0.0.5 let only admins change passwords).
 */
export const UserUpdate = Type.Object(
  {
    email: Nullable(Email),
    password: Nullable(NewPassword),
    current_password: Type.Optional(
      Type.Union([AnyPassword, Type.Null()], {
        description:
          'Your current password: required to change your own password (an admin setting another user’s password does not send it). A new password, role or deactivation ends every session of the user.',
      }),
    ),
    currentPassword: Nullable(AnyPassword),
    role: Nullable(UserRole),
    isActive: Nullable(Type.Boolean()),
    is_active: Nullable(Type.Boolean()),
    firstName: Nullable(Name),
    first_name: Nullable(Name),
    lastName: Nullable(Name),
    last_name: Nullable(Name),
  },
  { additionalProperties: false, $id: 'UserUpdate', title: 'UserUpdate' },
);
export type UserUpdate = Static<typeof UserUpdate>;

export const LoginRequest = Type.Object(
  {
    email: Email,
    password: AnyPassword,
  },
  { additionalProperties: false, $id: 'LoginRequest', title: 'LoginRequest' },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const TokenPair = Type.Object(
  {
    access_token: Type.String(),
    refresh_token: Type.String(),
    token_type: Type.String({ default: 'bearer' }),
    expires_in: Type.Integer({ description: 'Access token expiry in seconds' }),
  },
  { $id: 'TokenPair', title: 'TokenPair' },
);

export const RefreshRequest = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false, $id: 'RefreshRequest', title: 'RefreshRequest' },
);
export type RefreshRequest = Static<typeof RefreshRequest>;

export const LogoutRequest = Type.Object(
  { refresh_token: Nullable(Type.String({ minLength: 1, maxLength: 512 })) },
  { additionalProperties: false, $id: 'LogoutRequest', title: 'LogoutRequest' },
);
export type LogoutRequest = Static<typeof LogoutRequest>;

export const LogoutResponse = Type.Object(
  { status: Type.String({ default: 'logged_out' }) },
  { $id: 'LogoutResponse', title: 'LogoutResponse' },
);

export const UserDeleteResponse = Type.Object(
  { status: Type.String({ default: 'user_deleted' }), id: Uuid },
  { $id: 'UserDeleteResponse', title: 'UserDeleteResponse' },
);

export const UserIdParams = Type.Object({ user_id: Uuid });
export type UserIdParams = Static<typeof UserIdParams>;

export const ListUsersQuery = Type.Object({
  skip: Skip,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
  search: Type.Optional(SearchTerm),
  sort_by: Type.Optional(
    Type.Union(
      [
        Type.Literal('created_at'),
        Type.Literal('email'),
        Type.Literal('first_name'),
        Type.Literal('last_name'),
      ],
      { default: 'created_at', description: 'Field to sort by' },
    ),
  ),
  sort_order: SortOrder,
});
export type ListUsersQuery = Static<typeof ListUsersQuery>;

export const USER_SCHEMAS = [
  UserRole,
  UserRead,
  UserCreate,
  UserUpdate,
  LoginRequest,
  TokenPair,
  RefreshRequest,
  LogoutRequest,
  LogoutResponse,
  UserDeleteResponse,
];
