// Access rules of /users (SPEC §2): sign-up and login need only the API key; a user reads and edits their own
// profile; lists, counts, role and active changes and deletes are for admins. Another user's id answers 403
// whether or not it exists (no probing for ids); an admin gets the 404.
import assert from 'node:assert/strict';
import { registerUser } from '../helpers.ts';
import { type AccessContext, adminOnly, describeAccess, rows, SIGNED_IN_ONLY } from './scenario.ts';

const NO_SUCH_USER = '00000000-0000-4000-8000-000000000000';
let counter = 0;
const freshEmail = () => `fresh-${++counter}-${Date.now()}@example.com`;

/** A fresh user to change or delete, so that each row finds it intact. */
async function freshUser(ctx: AccessContext): Promise<string> {
  return `/users/${(await registerUser(ctx.app, freshEmail())).id}`;
}
const own = (ctx: AccessContext) => `/users/${ctx.user.id}`;

async function userStillThere(ctx: AccessContext) {
  const { rows: found } = await ctx.db.query('SELECT role, is_active FROM users WHERE id = $1', [
    ctx.user.id,
  ]);
  assert.deepEqual(found[0], { role: 'USER', is_active: true }, 'the refused change changed nothing');
}

const FORBIDDEN = { status: 403, code: 'FORBIDDEN' };

describeAccess('users access', {
  scenarios: [
    ...rows(
      {
        name: 'sign up',
        method: 'POST',
        url: '/users/',
        body: () => ({ email: freshEmail(), password: 'Passw0rd!', firstName: 'N', lastName: 'U' }),
      },
      {
        'no-api-key': { status: 406, code: 'API_KEY_MISSING' },
        'wrong-api-key': { status: 401, code: 'API_KEY_INVALID' },
        'bad-token': { status: 401, code: 'INVALID_TOKEN' },
        'anonymous-with-key': 201,
        admin: 201,
      },
    ),
    ...rows(
      {
        name: 'log in',
        method: 'POST',
        url: '/users/token',
        body: (ctx: AccessContext) => ({ email: ctx.user.email, password: ctx.user.password }),
      },
      { 'no-api-key': { status: 406, code: 'API_KEY_MISSING' }, 'anonymous-with-key': 200 },
    ),
    ...rows(
      {
        name: 'log in with a wrong password',
        method: 'POST',
        url: '/users/token',
        body: (ctx: AccessContext) => ({ email: ctx.user.email, password: 'WrongPass999' }),
      },
      { 'anonymous-with-key': { status: 401, code: 'INVALID_CREDENTIALS' } },
    ),
    ...rows(
      {
        name: 'log in to a deactivated account',
        method: 'POST',
        url: '/users/token',
        body: (ctx: AccessContext) => ({
          email: ctx.inactiveUser.email,
          password: ctx.inactiveUser.password,
        }),
      },
      { 'anonymous-with-key': { status: 400, code: 'USER_INACTIVE' } },
    ),
    ...rows(
      { name: 'read me', method: 'GET', url: '/users/me' },
      { ...SIGNED_IN_ONLY, user: 200, 'other-user': 200, admin: 200 },
    ),
    ...rows({ name: 'count users', method: 'GET', url: '/users/count' }, adminOnly(200)),
    ...rows({ name: 'list users', method: 'GET', url: '/users/' }, adminOnly(200)),
    ...rows(
      { name: "read a user's profile", method: 'GET', url: own },
      { ...SIGNED_IN_ONLY, user: 200, 'other-user': FORBIDDEN, admin: 200 },
    ),
    ...rows(
      { name: 'read a user that does not exist', method: 'GET', url: `/users/${NO_SUCH_USER}` },
      { user: FORBIDDEN, admin: { status: 404, code: 'NOT_FOUND' } },
    ),
    ...rows(
      { name: 'rename', method: 'PATCH', url: own, body: { firstName: 'Renamed' } },
      { ...SIGNED_IN_ONLY, user: 200, 'other-user': FORBIDDEN, admin: 200 },
    ),
    ...rows(
      {
        name: 'make oneself admin',
        method: 'PATCH',
        url: own,
        body: { role: 'ADMIN' },
        unchanged: userStillThere,
      },
      { ...SIGNED_IN_ONLY, user: FORBIDDEN, 'other-user': FORBIDDEN },
    ),
    ...rows(
      { name: 'change a role', method: 'PATCH', url: freshUser, body: { role: 'ADMIN' } },
      { admin: 200 },
    ),
    ...rows(
      { name: 'deactivate', method: 'PATCH', url: own, body: { isActive: false }, unchanged: userStillThere },
      { ...SIGNED_IN_ONLY, user: FORBIDDEN, 'other-user': FORBIDDEN },
    ),
    ...rows(
      { name: 'deactivate', method: 'PATCH', url: freshUser, body: { isActive: false } },
      { admin: 200 },
    ),
    ...rows(
      { name: 'delete a user', method: 'DELETE', url: own, unchanged: userStillThere },
      { ...SIGNED_IN_ONLY, user: FORBIDDEN, 'other-user': FORBIDDEN },
    ),
    ...rows({ name: 'delete a user', method: 'DELETE', url: freshUser }, { admin: 200 }),
    ...rows(
      { name: 'delete a user that does not exist', method: 'DELETE', url: `/users/${NO_SUCH_USER}` },
      { user: FORBIDDEN, admin: { status: 404, code: 'NOT_FOUND' } },
    ),
    // The signed-in rows of logout end the session of their token: users-access.test.ts signs in anew for them.
    ...rows({ name: 'log out', method: 'POST', url: '/users/logout' }, SIGNED_IN_ONLY),
    ...rows({ name: 'log out everywhere', method: 'POST', url: '/users/logout/all' }, SIGNED_IN_ONLY),
  ],
});
