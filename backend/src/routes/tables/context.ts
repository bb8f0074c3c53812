import type { ColumnsService } from '../../modules/tables/columns.service.ts';
import type { RowsService } from '../../modules/tables/rows.service.ts';
import type { TablesService } from '../../modules/tables/tables.service.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/** What `/tables` routes get: the tables, columns and rows services (sharing one metadata cache). */
export interface TablesContext extends RouteContext {
  tables: TablesService;
  columns: ColumnsService;
  rows: RowsService;
}

export type TablesRouteModule = RouteModule<TablesContext>;

export { BEARER, OPTIONAL_BEARER } from '../context.ts';
