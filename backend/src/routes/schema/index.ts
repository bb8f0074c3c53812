import type { FastifyInstance } from 'fastify';
import type { SchemaContext } from './context.ts';
import getSchemaVisualization from './get-visualization.ts';
import listSchemaChanges from './list-changes.ts';
import listSchemaTables from './list-tables.ts';

/** SelfDB 0.0.5's two `/schema` operations and the schema change log (admin only). */
export async function schemaRoutes(app: FastifyInstance, ctx: SchemaContext) {
  for (const route of [getSchemaVisualization, listSchemaTables, listSchemaChanges]) route(app, ctx);
}
