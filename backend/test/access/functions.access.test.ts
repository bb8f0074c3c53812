// Access rules of /functions (SelfDB 0.0.5): every management operation is for admins, and a user is refused
// with 403 before the id is looked up. The HTTP trigger needs only the API key (a token, when sent, must be
// valid); the execution-result callback is the runtime's, with the API key alone. The runtime is down here
// (nothing listens on port 1), so an admin's deploy answers 503.
import assert from 'node:assert/strict';
import { startTestApp } from '../helpers.ts';
import { call } from '../helpers.ts';
import { type AccessContext, adminOnly, describeAccess, rows, SIGNED_IN_ONLY } from './scenario.ts';

const CODE = 'export default async () => ({ ok: true });';
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
let counter = 0;

interface Seed {
  fn: { id: string; name: string };
}
type Ctx = Seed & AccessContext;

async function makeFunction(ctx: AccessContext): Promise<{ id: string; name: string }> {
  const name = `fn-${++counter}`;
  const made = await call(ctx.app, 'POST', '/functions/', {
    token: ctx.admin.token,
    body: { name, code: CODE },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return { id: String(made.body.id), name };
}

async function functionCount(ctx: AccessContext): Promise<number> {
  return Number((await ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM functions')).rows[0]!.n);
}
let countBefore = 0;
/** The count of functions is taken when the URL is made; a refusal must leave it. */
async function freshFunction(ctx: Ctx): Promise<string> {
  const url = `/functions/${(await makeFunction(ctx)).id}`;
  countBefore = await functionCount(ctx);
  return url;
}
async function noneRemoved(ctx: Ctx) {
  assert.equal(await functionCount(ctx), countBefore, 'the refused delete removed nothing');
}

const fn =
  (suffix = '') =>
  (ctx: Ctx) =>
    `/functions/${ctx.fn.id}${suffix}`;
const missing = (ok: number) => ({ ...adminOnly(ok), admin: { status: 404, code: 'NOT_FOUND' } });

describeAccess<Seed>('functions access', {
  start: () => startTestApp({ FUNCTIONS_INTERNAL_PORT: '1' }),
  seed: async (ctx) => ({ fn: await makeFunction(ctx) }),
  scenarios: [
    ...rows({ name: 'count functions', method: 'GET', url: '/functions/count' }, adminOnly(200)),
    ...rows({ name: 'list functions', method: 'GET', url: '/functions/' }, adminOnly(200)),
    ...rows(
      {
        name: 'create a function',
        method: 'POST',
        url: '/functions/',
        body: () => ({ name: `created-${++counter}`, code: CODE }),
      },
      adminOnly(201),
    ),
    ...rows({ name: 'read a function', method: 'GET', url: fn() }, adminOnly(200)),
    ...rows(
      { name: 'read a missing function', method: 'GET', url: `/functions/${NO_SUCH_ID}` },
      missing(200),
    ),
    ...rows(
      {
        name: 'update a function',
        method: 'PATCH',
        url: fn(),
        body: { code: 'export default async () => 2;' },
      },
      adminOnly(200),
    ),
    ...rows(
      { name: 'replace env vars', method: 'PUT', url: fn('/env'), body: { env_vars: { A: 'b' } } },
      adminOnly(200),
    ),
    ...rows({ name: 'list executions', method: 'GET', url: fn('/executions') }, adminOnly(200)),
    ...rows({ name: 'list logs', method: 'GET', url: fn('/logs') }, adminOnly(200)),
    ...rows({ name: 'deploy a function', method: 'POST', url: fn('/deploy') }, adminOnly(503)),
    ...rows(
      { name: 'delete a function', method: 'DELETE', url: freshFunction, unchanged: noneRemoved },
      adminOnly(204),
    ),
    ...rows(
      { name: 'send an event', method: 'POST', url: '/functions/events', body: { event: 'nobody.listens' } },
      adminOnly(202),
    ),
    ...rows(
      {
        name: 'invoke an undeployed function',
        method: 'GET',
        url: (ctx: Ctx) => `/functions/${ctx.fn.name}/invoke`,
      },
      {
        'no-api-key': SIGNED_IN_ONLY['no-api-key'],
        'wrong-api-key': SIGNED_IN_ONLY['wrong-api-key'],
        'bad-token': SIGNED_IN_ONLY['bad-token'],
        'inactive-user': SIGNED_IN_ONLY['inactive-user'],
        'anonymous-with-key': { status: 404, code: 'NOT_FOUND' },
        user: { status: 404, code: 'NOT_FOUND' },
        admin: { status: 404, code: 'NOT_FOUND' },
      },
    ),
    ...rows(
      {
        name: "the runtime's execution result",
        method: 'POST',
        url: '/functions/no-such-function/execution-result',
        body: { execution_id: 'e1', success: true, logs: [] },
      },
      {
        'no-api-key': SIGNED_IN_ONLY['no-api-key'],
        'wrong-api-key': SIGNED_IN_ONLY['wrong-api-key'],
        'anonymous-with-key': 200,
      },
    ),
  ],
});
