import type { FastifyInstance } from 'fastify';
import type { UsersContext } from './context.ts';
import countUsers from './count-users.ts';
import createUser from './create-user.ts';
import deleteUser from './delete-user.ts';
import getMe from './get-me.ts';
import getUser from './get-user.ts';
import listUsers from './list-users.ts';
import login from './login.ts';
import logout from './logout.ts';
import logoutAll from './logout-all.ts';
import refreshToken from './refresh-token.ts';
import updateUser from './update-user.ts';

/** The 11 `/users` operations of SelfDB 0.0.5, in its document's order. */
export async function usersRoutes(app: FastifyInstance, ctx: UsersContext) {
  for (const route of [
    login,
    refreshToken,
    logout,
    logoutAll,
    getMe,
    countUsers,
    createUser,
    listUsers,
    getUser,
    updateUser,
    deleteUser,
  ]) {
    route(app, ctx);
  }
}
