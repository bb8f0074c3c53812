import { createPool } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import { createSqlService, type SqlService } from '../../modules/sql/sql.service.ts';
import type { RouteContext } from '../context.ts';
import clearQueryHistory from './clear-history.ts';
import createSnippet from './create-snippet.ts';
import deleteSnippet from './delete-snippet.ts';
import executeQuery from './execute-query.ts';
import getQueryHistory from './get-history.ts';
import getSnippets from './list-snippets.ts';

export type SqlRouteModule = (app: FastifyInstance, ctx: RouteContext, sql: SqlService) => void;

// Console scripts may hold a connection for the whole statement timeout: they get a few connections of their own,
// so they can never take the ones every other request needs.
const CONSOLE_CONNECTIONS = 3;

/** The 6 `/sql` operations of SelfDB 0.0.5 (admin only), in its document's order. */
export async function sqlRoutes(app: FastifyInstance, ctx: RouteContext) {
  // Straight to Postgres as selfdb_console, never through PgBouncer, and never reused (maxUses 1): whatever session
  // state a script leaves (settings, role, temporary tables, prepared statements, locks, LISTEN) ends with its
  // connection, and no API request ever runs on a connection a script had.
  const consolePool = createPool(ctx.config.sql.databaseUrl, {
    max: CONSOLE_CONNECTIONS,
    maxUses: 1,
    applicationName: 'selfdb-sql-console',
    // A script waiting for a console connection waits for a running one to finish rather than failing at once.
    connectionTimeoutMs: ctx.config.sql.statementTimeoutMs + 5000,
  });
  app.addHook('onClose', async () => consolePool.end());
  const sql = createSqlService({ pool: ctx.pool, consolePool, config: ctx.config.sql });
  for (const route of [
    executeQuery,
    getQueryHistory,
    clearQueryHistory,
    getSnippets,
    createSnippet,
    deleteSnippet,
  ]) {
    route(app, ctx, sql);
  }
}
