// Authorization of every /functions and /webhooks management operation as a table of scenarios: no API key,
// anonymous, a signed-in user, and an admin (all admin only, as SelfDB 0.0.5). A user is refused before anything
// is looked up or changed. The runtime is not running here, so an admin's deploy answers 503.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, API_KEY, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

type Actor = 'nokey' | 'anonymous' | 'user' | 'admin';

interface Scenario {
  name: string;
  method: string;
  /** `:fn` and `:hook` are replaced by a fresh function's and webhook's ids (fresh per actor). */
  path: string;
  body?: (ids: { fn: string }) => unknown;
  expect: Record<Actor, number>;
}

const CODE = 'export default async () => ({ ok: true });';
const ADMIN_ONLY = (ok: number) => ({ nokey: 406, anonymous: 401, user: 403, admin: ok });

const SCENARIOS: Scenario[] = [
  { name: 'count functions', method: 'GET', path: '/functions/count', expect: ADMIN_ONLY(200) },
  { name: 'list functions', method: 'GET', path: '/functions/', expect: ADMIN_ONLY(200) },
  {
    name: 'create a function',
    method: 'POST',
    path: '/functions/',
    body: () => ({ name: `created-${Math.random().toString(36).slice(2)}`, code: CODE }),
    expect: ADMIN_ONLY(201),
  },
  { name: 'read a function', method: 'GET', path: '/functions/:fn', expect: ADMIN_ONLY(200) },
  {
    name: 'update a function',
    method: 'PATCH',
    path: '/functions/:fn',
    body: () => ({ code: 'export default async () => 2;' }),
    expect: ADMIN_ONLY(200),
  },
  { name: 'delete a function', method: 'DELETE', path: '/functions/:fn', expect: ADMIN_ONLY(204) },
  { name: 'deploy a function', method: 'POST', path: '/functions/:fn/deploy', expect: ADMIN_ONLY(503) },
  {
    name: 'replace env vars',
    method: 'PUT',
    path: '/functions/:fn/env',
    body: () => ({ env_vars: { A: 'b' } }),
    expect: ADMIN_ONLY(200),
  },
  { name: 'list executions', method: 'GET', path: '/functions/:fn/executions', expect: ADMIN_ONLY(200) },
  { name: 'list logs', method: 'GET', path: '/functions/:fn/logs', expect: ADMIN_ONLY(200) },
  { name: 'list webhooks', method: 'GET', path: '/webhooks/', expect: ADMIN_ONLY(200) },
  {
    name: 'create a webhook',
    method: 'POST',
    path: '/webhooks/',
    body: ({ fn }) => ({ function_id: fn, name: 'hook', secret_key: 'whsec_123' }),
    expect: ADMIN_ONLY(201),
  },
  { name: 'read a webhook', method: 'GET', path: '/webhooks/:hook', expect: ADMIN_ONLY(200) },
  {
    name: 'update a webhook',
    method: 'PATCH',
    path: '/webhooks/:hook',
    body: () => ({ is_active: false }),
    expect: ADMIN_ONLY(200),
  },
  { name: 'delete a webhook', method: 'DELETE', path: '/webhooks/:hook', expect: ADMIN_ONLY(204) },
  {
    name: 'regenerate a webhook token',
    method: 'POST',
    path: '/webhooks/:hook/regenerate-token',
    expect: ADMIN_ONLY(200),
  },
  { name: 'list deliveries', method: 'GET', path: '/webhooks/:hook/deliveries', expect: ADMIN_ONLY(200) },
];

let t: TestApp;
let adminToken = '';
let userToken = '';
before(async () => {
  // Nothing listens on port 1: the runtime is down.
  t = await startTestApp({ FUNCTIONS_INTERNAL_PORT: '1' });
  adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  userToken = (await registerUser(t.app, 'user@example.com')).access_token;
});
after(() => t.close());

let counter = 0;
/** A fresh function with a webhook, made by the admin. */
async function fixture() {
  counter += 1;
  const fn = await call(t.app, 'POST', '/functions/', {
    token: adminToken,
    body: { name: `fn-${counter}`, code: CODE },
  });
  assert.equal(fn.status, 201, JSON.stringify(fn.body));
  const hook = await call(t.app, 'POST', '/webhooks/', {
    token: adminToken,
    body: { function_id: fn.body.id, name: `hook-${counter}`, secret_key: 'whsec_abc' },
  });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  return { fn: String(fn.body.id), hook: String(hook.body.id) };
}

const state = async () => ({
  functions: (await call(t.app, 'GET', '/functions/count', { token: adminToken })).body,
  webhooks: (await call(t.app, 'GET', '/webhooks/', { token: adminToken })).body.total,
});

describe('every /functions and /webhooks management operation is admin only', () => {
  for (const scenario of SCENARIOS) {
    for (const actor of ['nokey', 'anonymous', 'user', 'admin'] as const) {
      test(`${scenario.name} as ${actor} → ${scenario.expect[actor]}`, async () => {
        const ids = await fixture();
        const before = await state();
        const path = scenario.path.replace(':fn', ids.fn).replace(':hook', ids.hook);
        const response = await call(t.app, scenario.method, path, {
          apiKey: actor === 'nokey' ? null : API_KEY,
          token: actor === 'user' ? userToken : actor === 'admin' ? adminToken : undefined,
          ...(scenario.body && { body: scenario.body(ids) }),
        });
        assert.equal(response.status, scenario.expect[actor], JSON.stringify(response.body));
        if (response.status >= 400) {
          assert.equal(typeof response.body.detail, 'string');
          assert.equal(typeof response.body.code, 'string');
          // A refused request changed nothing.
          assert.deepEqual(await state(), before);
        }
        if (actor === 'user') assert.equal(response.body.code, 'FORBIDDEN');
      });
    }
  }
});

test('a user is refused with 403 before the id is looked up (no existence oracle)', async () => {
  const missing = '00000000-0000-4000-8000-000000000000';
  for (const path of [`/functions/${missing}`, `/webhooks/${missing}`]) {
    assert.equal((await call(t.app, 'GET', path, { token: userToken })).status, 403);
    assert.equal((await call(t.app, 'GET', path, { token: adminToken })).status, 404);
  }
});
