// Access rules of the SQL console: admins only (SelfDB 0.0.5). A refused query runs nothing and leaves no history.
import assert from 'node:assert/strict';
import { type AccessContext, adminOnly, describeAccess, rows } from './scenario.ts';

async function countOf(ctx: AccessContext, sql: string): Promise<number> {
  return Number((await ctx.db.query<{ n: string }>(`SELECT count(*) AS n FROM (${sql}) x`)).rows[0]!.n);
}

async function snippetOfAdmin(ctx: AccessContext): Promise<string> {
  const { rows: made } = await ctx.db.query<{ id: string }>(
    `INSERT INTO sql_snippets (name, sql_code, is_shared, created_by) VALUES ('target', 'SELECT 2', true, $1)
     RETURNING id`,
    [ctx.admin.id],
  );
  return `/sql/snippets/${made[0]!.id}`;
}

const denied = adminOnly(0);
delete denied.admin;

export const nothingRan = async (ctx: AccessContext) => {
  assert.equal(await countOf(ctx, "SELECT 1 FROM pg_class WHERE relname = 'made_by_refused'"), 0);
  assert.equal(await countOf(ctx, "SELECT 1 FROM sql_history WHERE query LIKE '%made_by_refused%'"), 0);
};

describeAccess('sql access', {
  scenarios: [
    ...rows(
      {
        name: 'run a query',
        method: 'POST',
        url: '/sql/query',
        body: { query: 'CREATE TABLE made_by_refused (id int)' },
        unchanged: nothingRan,
      },
      denied,
    ),
    ...rows(
      { name: 'run a query', method: 'POST', url: '/sql/query', body: { query: 'SELECT 1 AS one' } },
      { admin: 200 },
    ),
    ...rows({ name: 'read history', method: 'GET', url: '/sql/history' }, adminOnly(200)),
    ...rows({ name: 'clear history', method: 'DELETE', url: '/sql/history' }, adminOnly(204)),
    ...rows({ name: 'list snippets', method: 'GET', url: '/sql/snippets' }, adminOnly(200)),
    ...rows(
      {
        name: 'create a snippet',
        method: 'POST',
        url: '/sql/snippets',
        body: { name: 'snippet', sql_code: 'SELECT 1', is_shared: true },
      },
      adminOnly(201),
    ),
    ...rows({ name: 'delete a snippet', method: 'DELETE', url: snippetOfAdmin }, adminOnly(204)),
  ],
});
