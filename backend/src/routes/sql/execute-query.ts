import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { SqlRouteModule } from './context.ts';
import { SqlExecutionResult, SqlQueryRequest } from './schemas.ts';

const errorRef = { $ref: 'ErrorResponse#' };

/**
 * POST /sql/query: runs a script in one transaction (admins only) and answers the last statement's rows. A result cut
 * at SQL_MAX_ROWS says so in `message` and in the `X-SelfDB-Truncated: true` header.
 */
const executeQuery: SqlRouteModule = (app, ctx) => {
  app.post<{ Body: SqlQueryRequest }>(
    '/sql/query',
    {
      schema: {
        operationId: 'executeQuery',
        summary: 'Execute SQL Query',
        description:
          'Runs a SQL statement or script in one transaction (admins only). Postgres decides whether it is read-only; ' +
          'UPDATE/DELETE without WHERE, DROP and TRUNCATE need `confirm_destructive: true`. Every call is recorded ' +
          'in the caller’s history.',
        tags: ['sql'],
        security: [{ HTTPBearer: [] }],
        body: ref(SqlQueryRequest),
        response: {
          200: ref(SqlExecutionResult),
          503: { description: 'Database unavailable', ...errorRef },
          504: { description: 'A statement ran past SQL_STATEMENT_TIMEOUT_MS', ...errorRef },
        },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleExecuteQuery(request, reply) {
      const { result, truncated } = await ctx.sql.execute(
        currentUser(request),
        { query: request.body.query, confirmDestructive: request.body.confirm_destructive === true },
        request.log,
      );
      if (truncated) reply.header('x-selfdb-truncated', 'true');
      return result;
    },
  );
};

export default executeQuery;
