import type { DataQueryInput } from '../../modules/tables/data-query.ts';
import { columnFilters } from '../../plugins/openapi.ts';
import { ref } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type TablesRouteModule } from './context.ts';
import { TableDataQuery, TableDataResponse, TableIdParams } from './schemas.ts';

/** GET /tables/{table_id}/data: a page of rows, filtered, ordered and counted as asked. */
const getTableData: TablesRouteModule = (app, ctx) => {
  app.get<{ Params: TableIdParams; Querystring: TableDataQuery }>(
    '/tables/:table_id/data',
    {
      schema: {
        operationId: 'getTableData',
        summary: 'Get Table Data',
        description: [
          'Rows of a table the caller can see, as {data, total, page, page_size}.',
          '',
          '- page, page_size (≤ 1000), search (text columns, case-insensitive, % and _ match literally), ' +
            'sort_by, sort_order: as SelfDB 0.0.5.',
          '- Filters: any column as a parameter, PostgREST style: `?status=eq.open&price=gte.10&tag=in.(a,b)`, ' +
            'operators eq neq gt gte lt lte like ilike (`*` is a wildcard) in is (null, true, false, unknown), ' +
            'each optionally prefixed by `not.`; repeat a column to combine conditions.',
          '- order=a.desc,b.asc.nullslast (instead of sort_by); select=a,b; ' +
            'count=exact (default) | estimated (planner estimate) | none (total is null).',
          '- Any other parameter answers 400 `Unknown query parameters`.',
        ].join('\n'),
        tags: ['tables'],
        security: OPTIONAL_BEARER,
        params: TableIdParams,
        querystring: TableDataQuery,
        response: { 200: ref(TableDataResponse) },
        ...columnFilters,
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleGetTableData(request) {
      return ctx.rows.query(request.user, request.params.table_id, request.query as DataQueryInput);
    },
  );
};

export default getTableData;
