import type { SqlService } from '../../modules/sql/sql.service.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/** What `/sql` routes get: the SQL console service (with its own console pool, built in the composition root). */
export interface SqlContext extends RouteContext {
  sql: SqlService;
}

export type SqlRouteModule = RouteModule<SqlContext>;
