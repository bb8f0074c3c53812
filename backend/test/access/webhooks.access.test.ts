// Access rules of /webhooks (SelfDB 0.0.5): managing webhooks and their deliveries is for admins, a user is
// refused with 403 before the id is looked up. The trigger URL is public: no API key, no token, its webhook token
// is the credential (404 for an unknown one, to anyone).
import assert from 'node:assert/strict';
import { call, startTestApp } from '../helpers.ts';
import { type AccessContext, type Actor, adminOnly, describeAccess, type Expect, rows } from './scenario.ts';

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
let counter = 0;

interface Hook {
  id: string;
  token: string;
}
interface Seed {
  functionId: string;
  hook: Hook;
}
type Ctx = Seed & AccessContext;

async function makeHook(ctx: AccessContext, functionId: string): Promise<Hook> {
  const made = await call(ctx.app, 'POST', '/webhooks/', {
    token: ctx.admin.token,
    body: { function_id: functionId, name: `hook-${++counter}`, secret_key: 'whsec_abc' },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return { id: String(made.body.id), token: String(made.body.webhook_token) };
}

async function seed(ctx: AccessContext): Promise<Seed> {
  const fn = await call(ctx.app, 'POST', '/functions/', {
    token: ctx.admin.token,
    body: { name: 'hooked', code: 'export default async () => ({ ok: true });' },
  });
  assert.equal(fn.status, 201, JSON.stringify(fn.body));
  const functionId = String(fn.body.id);
  return { functionId, hook: await makeHook(ctx, functionId) };
}

const hook =
  (suffix = '') =>
  (ctx: Ctx) =>
    `/webhooks/${ctx.hook.id}${suffix}`;
const missing = (ok: number) => ({ ...adminOnly(ok), admin: { status: 404, code: 'NOT_FOUND' } });
/** The trigger answers the same whoever calls: the key and any token are ignored. */
const anyone = (expected: Expect): Partial<Record<Actor, Expect>> => ({
  'no-api-key': expected,
  'wrong-api-key': expected,
  'anonymous-with-key': expected,
  'bad-token': expected,
  user: expected,
  admin: expected,
});

describeAccess<Seed>('webhooks access', {
  start: () => startTestApp({ FUNCTIONS_INTERNAL_PORT: '1' }),
  seed,
  scenarios: [
    ...rows({ name: 'list webhooks', method: 'GET', url: '/webhooks/' }, adminOnly(200)),
    ...rows(
      {
        name: 'create a webhook',
        method: 'POST',
        url: '/webhooks/',
        body: (ctx: Ctx) => ({
          function_id: ctx.functionId,
          name: `made-${++counter}`,
          secret_key: 'whsec_abc',
        }),
      },
      adminOnly(201),
    ),
    ...rows({ name: 'read a webhook', method: 'GET', url: hook() }, adminOnly(200)),
    ...rows({ name: 'read a missing webhook', method: 'GET', url: `/webhooks/${NO_SUCH_ID}` }, missing(200)),
    ...rows(
      { name: 'update a webhook', method: 'PATCH', url: hook(), body: { description: 'x' } },
      adminOnly(200),
    ),
    ...rows({ name: 'list deliveries', method: 'GET', url: hook('/deliveries') }, adminOnly(200)),
    ...rows(
      {
        name: 'retry a missing delivery',
        method: 'POST',
        url: `/webhooks/deliveries/${NO_SUCH_ID}/retry`,
      },
      missing(200),
    ),
    ...rows(
      {
        name: 'regenerate a token',
        method: 'POST',
        url: async (ctx: Ctx) => `/webhooks/${(await makeHook(ctx, ctx.functionId)).id}/regenerate-token`,
      },
      adminOnly(200),
    ),
    ...rows(
      {
        name: 'delete a webhook',
        method: 'DELETE',
        url: async (ctx: Ctx) => `/webhooks/${(await makeHook(ctx, ctx.functionId)).id}`,
      },
      adminOnly(204),
    ),
    ...rows(
      {
        name: 'trigger an unknown webhook',
        method: 'POST',
        url: '/webhooks/trigger/not-a-real-token',
        body: {},
      },
      anyone({ status: 404, code: 'NOT_FOUND' }),
    ),
    ...rows(
      {
        name: 'trigger a webhook',
        method: 'POST',
        url: (ctx: Ctx) => `/webhooks/trigger/${ctx.hook.token}`,
        body: { hello: 'world' },
      },
      anyone(202),
    ),
  ],
});
