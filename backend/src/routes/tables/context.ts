import type { FastifyInstance } from 'fastify';
import type { ColumnsService } from '../../modules/tables/columns.service.ts';
import type { RowsService } from '../../modules/tables/rows.service.ts';
import type { TablesService } from '../../modules/tables/tables.service.ts';
import type { RouteContext } from '../context.ts';

/** The shared route context plus the tables area's services (built in index.ts from ctx.pool). */
export interface TablesContext extends RouteContext {
  tables: TablesService;
  columns: ColumnsService;
  rows: RowsService;
}

export type TablesRouteModule = (app: FastifyInstance, ctx: TablesContext) => void;

export { BEARER, OPTIONAL_BEARER } from '../context.ts';
