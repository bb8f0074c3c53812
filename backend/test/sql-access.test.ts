// Authorization of every /sql operation as a table of scenarios: no key, anonymous, a signed-in user, an admin.
// Everything is admin-only (SelfDB 0.0.5); a refused call changes nothing and leaves no history.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

type Actor = 'nokey' | 'anonymous' | 'user' | 'admin';

interface Scenario {
  name: string;
  method: string;
  /** `:snippet` is replaced by a fresh snippet of the admin's (shared, so any admin could delete it). */
  path: string;
  body?: unknown;
  expect: Record<Actor, number>;
}

const DENIED = { nokey: 406, anonymous: 401, user: 403 } as const;
const SCENARIOS: Scenario[] = [
  {
    name: 'run a query',
    method: 'POST',
    path: '/sql/query',
    body: { query: 'CREATE TABLE made_by_:actor (id int); SELECT 1 AS one' },
    expect: { ...DENIED, admin: 200 },
  },
  { name: 'read history', method: 'GET', path: '/sql/history', expect: { ...DENIED, admin: 200 } },
  { name: 'clear history', method: 'DELETE', path: '/sql/history', expect: { ...DENIED, admin: 204 } },
  { name: 'list snippets', method: 'GET', path: '/sql/snippets', expect: { ...DENIED, admin: 200 } },
  {
    name: 'create a snippet',
    method: 'POST',
    path: '/sql/snippets',
    body: { name: 'by :actor', sql_code: 'SELECT 1', is_shared: true },
    expect: { ...DENIED, admin: 201 },
  },
  {
    name: 'delete a snippet',
    method: 'DELETE',
    path: '/sql/snippets/:snippet',
    expect: { ...DENIED, admin: 204 },
  },
];

let t: TestApp;
let db: pg.Client;
let adminToken: string;
let userToken: string;

before(async () => {
  t = await startTestApp();
  adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  userToken = (await registerUser(t.app, 'plain@example.com')).access_token;
  db = new pg.Client({ connectionString: t.db.directUrl });
  await db.connect();
});
after(async () => {
  await db.end();
  await t.close();
});

const count = async (sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM (${sql}) x`, params)).rows[0]!.n);

describe('/sql authorization', () => {
  for (const scenario of SCENARIOS) {
    for (const actor of Object.keys(scenario.expect) as Actor[]) {
      const expected = scenario.expect[actor];
      test(`${scenario.name} as ${actor} → ${expected}`, async () => {
        let snippetId = '';
        if (scenario.path.includes(':snippet')) {
          const made = await call(t.app, 'POST', '/sql/snippets', {
            token: adminToken,
            body: { name: `target for ${actor}`, sql_code: 'SELECT 2', is_shared: true },
          });
          snippetId = String(made.body.id);
        }
        const historyBefore = await count('SELECT 1 FROM sql_history');
        const snippetsBefore = await count('SELECT 1 FROM sql_snippets');
        const body = scenario.body && JSON.parse(JSON.stringify(scenario.body).replaceAll(':actor', actor));
        const response = await call(t.app, scenario.method, scenario.path.replace(':snippet', snippetId), {
          token: actor === 'admin' ? adminToken : actor === 'user' ? userToken : undefined,
          apiKey: actor === 'nokey' ? null : undefined,
          body,
        });
        assert.equal(response.status, expected, JSON.stringify(response.body));
        if (expected >= 400) {
          assert.equal(typeof response.body.code, 'string');
          if (actor === 'user')
            assert.equal(response.body.detail, 'Admin access required for SQL operations');
          // Nothing happened: no table, no history entry, no snippet added or removed.
          assert.equal(await count('SELECT 1 FROM pg_class WHERE relname = $1', [`made_by_${actor}`]), 0);
          assert.equal(await count('SELECT 1 FROM sql_history'), historyBefore);
          assert.equal(await count('SELECT 1 FROM sql_snippets'), snippetsBefore);
        } else if (scenario.name === 'run a query') {
          assert.equal(await count("SELECT 1 FROM pg_class WHERE relname = 'made_by_admin'"), 1);
        }
      });
    }
  }

  test('a user whose admin role was taken away loses the console at once', async () => {
    const other = await registerUser(t.app, 'demoted@example.com');
    const promote = await call(t.app, 'PATCH', `/users/${other.id}`, {
      token: adminToken,
      body: { role: 'ADMIN' },
    });
    assert.equal(promote.status, 200);
    // A role change ends the user's sessions: the new admin signs in again.
    const asAdmin = (await login(t.app, other.email, other.password)).access_token;
    const ok = await call(t.app, 'POST', '/sql/query', { token: asAdmin, body: { query: 'SELECT 1' } });
    assert.equal(ok.status, 200);
    await call(t.app, 'PATCH', `/users/${other.id}`, { token: adminToken, body: { role: 'USER' } });
    const denied = await call(t.app, 'POST', '/sql/query', { token: asAdmin, body: { query: 'SELECT 1' } });
    assert.equal(denied.status, 401, 'the demotion ended the session of the admin token');
  });
});
