import type { FastifyInstance } from 'fastify';
import { createSchemaService, type SchemaService } from '../../modules/schema/schema.service.ts';
import type { RouteContext } from '../context.ts';
import getSchemaVisualization from './get-visualization.ts';
import listSchemaChanges from './list-changes.ts';
import listSchemaTables from './list-tables.ts';

export type SchemaRouteModule = (app: FastifyInstance, ctx: RouteContext, schema: SchemaService) => void;

/** SelfDB 0.0.5's two `/schema` operations and the schema change log (admin only). */
export async function schemaRoutes(app: FastifyInstance, ctx: RouteContext) {
  const service = createSchemaService(ctx.pool);
  for (const route of [getSchemaVisualization, listSchemaTables, listSchemaChanges]) route(app, ctx, service);
}
