import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { SchemaRouteModule } from './context.ts';
import { SchemaChangeListResponse, SchemaChangesQuery } from './schemas.ts';

/**
 * GET /schema/changes (not in SelfDB 0.0.5): the schema change log, newest first. Every DDL command, from the API,
 * the SQL console or any other client, with who ran it and when (admins only).
 */
const listSchemaChanges: SchemaRouteModule = (app, ctx) => {
  app.get<{ Querystring: SchemaChangesQuery }>(
    '/schema/changes',
    {
      schema: {
        operationId: 'listSchemaChanges',
        summary: 'List Schema Changes',
        description:
          'DDL recorded by the database’s event triggers (CREATE, ALTER, DROP, …), newest first, with the SelfDB ' +
          'user, database role and client that ran it.',
        tags: ['schema'],
        security: [{ HTTPBearer: [] }],
        querystring: SchemaChangesQuery,
        response: {
          200: ref(SchemaChangeListResponse),
          500: { description: 'Internal Server Error', $ref: 'ErrorResponse#' },
        },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleListSchemaChanges(request) {
      // Ajv fills the defaults; the fallbacks only satisfy the types.
      const { skip = 0, limit = 100 } = request.query;
      return ctx.schema.changes(currentUser(request), { skip, limit });
    },
  );
};

export default listSchemaChanges;
