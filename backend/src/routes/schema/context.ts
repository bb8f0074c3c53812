import type { SchemaService } from '../../modules/schema/schema.service.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/** What `/schema` routes get: the schema service. */
export interface SchemaContext extends RouteContext {
  schema: SchemaService;
}

export type SchemaRouteModule = RouteModule<SchemaContext>;
