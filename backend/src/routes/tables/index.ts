import type { FastifyInstance } from 'fastify';
import addColumn from './add-column.ts';
import countTables from './count-tables.ts';
import createTable from './create-table.ts';
import type { TablesContext } from './context.ts';
import deleteColumn from './delete-column.ts';
import deleteRow from './delete-row.ts';
import deleteTable from './delete-table.ts';
import getTable from './get-table.ts';
import getTableData from './get-table-data.ts';
import insertRow from './insert-row.ts';
import listTables from './list-tables.ts';
import updateColumn from './update-column.ts';
import updateRow from './update-row.ts';
import updateTable from './update-table.ts';

/** The 13 `/tables` operations of SelfDB 0.0.5 (tables, columns, rows), in its document's order. */
export async function tablesRoutes(app: FastifyInstance, ctx: TablesContext) {
  for (const route of [
    countTables,
    createTable,
    listTables,
    getTable,
    updateTable,
    deleteTable,
    addColumn,
    updateColumn,
    deleteColumn,
    getTableData,
    insertRow,
    updateRow,
    deleteRow,
  ]) {
    route(app, ctx);
  }
}
