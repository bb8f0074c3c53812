import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { SchemaRouteModule } from './context.ts';
import { SchemaVisualizationResponse } from './schemas.ts';

/** GET /schema/visualization: tables as nodes, foreign keys as edges (admins only). */
const getSchemaVisualization: SchemaRouteModule = (app, ctx) => {
  app.get(
    '/schema/visualization',
    {
      schema: {
        operationId: 'getSchemaVisualization',
        summary: 'Get Schema Visualization Data',
        description:
          'Every table of the public schema except SelfDB’s bookkeeping ones, with columns and primary keys, and the ' +
          'foreign keys between them.',
        tags: ['schema'],
        security: [{ HTTPBearer: [] }],
        response: {
          200: ref(SchemaVisualizationResponse),
          500: { description: 'Internal Server Error', $ref: 'ErrorResponse#' },
        },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleGetSchemaVisualization(request) {
      return ctx.schema.visualization(currentUser(request));
    },
  );
};

export default getSchemaVisualization;
