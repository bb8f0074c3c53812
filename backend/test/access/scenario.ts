// The one runner of the access tables (as pocketbase's ApiScenario): a file declares who × what × expected status
// as rows, the runner seeds the actors and the file's records once, sends each row through `app.inject` and asserts
// its status and error `code`. A new area adds a file of rows, not new test code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { ADMIN, call, login, registerUser, startTestApp, type TestApp } from '../helpers.ts';

/** Who sends the request. Every actor but `no-api-key` and `wrong-api-key` sends the right API key. */
export type Actor =
  | 'no-api-key'
  | 'wrong-api-key'
  | 'anonymous-with-key'
  | 'bad-token'
  | 'user'
  | 'other-user'
  | 'inactive-user'
  | 'admin';

export const ACTORS: readonly Actor[] = [
  'no-api-key',
  'wrong-api-key',
  'anonymous-with-key',
  'bad-token',
  'user',
  'other-user',
  'inactive-user',
  'admin',
];

export interface SeededUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** What every file gets: the app, a direct database client, and the signed-in actors. */
export interface AccessContext {
  app: FastifyInstance;
  t: TestApp;
  /** Straight to Postgres as the superuser: for seeding and for checking that a refusal changed nothing. */
  db: pg.Client;
  admin: SeededUser;
  user: SeededUser;
  otherUser: SeededUser;
  /** Signed in, then deactivated by the admin: its token is refused with USER_INACTIVE. */
  inactiveUser: SeededUser;
}

/** An expected answer: a status, or a status and the error `code` of the body. */
export type Expect = number | { status: number; code?: string };

type Resolvable<S, T> = T | ((seed: S & AccessContext) => T | Promise<T>);

export interface Scenario<S = object> {
  name: string;
  method: string;
  /** The URL, or a function of the seeded records (it may make a fresh record for a destructive row). */
  url: Resolvable<S, string>;
  actor: Actor;
  body?: Resolvable<S, unknown>;
  expect: Expect;
  /** What must still hold after a refusal (a 4xx row): typically that the refused write changed nothing. */
  unchanged?: (seed: S & AccessContext) => Promise<void>;
}

/** One operation, without its actor and expectation. */
export type Operation<S = object> = Omit<Scenario<S>, 'actor' | 'expect'>;

/** The rows of one operation: one per actor listed in `expect`. */
export function rows<S = object>(
  operation: Operation<S>,
  expect: Partial<Record<Actor, Expect>>,
): Scenario<S>[] {
  return (Object.entries(expect) as [Actor, Expect][]).map(([actor, expected]) => ({
    ...operation,
    actor,
    expect: expected,
  }));
}

/** The refusals every route behind a bearer token shares, before anything is looked up. */
export const SIGNED_IN_ONLY = {
  'no-api-key': { status: 406, code: 'API_KEY_MISSING' },
  'wrong-api-key': { status: 401, code: 'API_KEY_INVALID' },
  'anonymous-with-key': { status: 401, code: 'NOT_AUTHENTICATED' },
  'bad-token': { status: 401, code: 'INVALID_TOKEN' },
  'inactive-user': { status: 400, code: 'USER_INACTIVE' },
} as const satisfies Partial<Record<Actor, Expect>>;

/** An admin-only route: every refusal above, and 403 FORBIDDEN for signed-in users. */
export function adminOnly(ok: number): Partial<Record<Actor, Expect>> {
  return {
    ...SIGNED_IN_ONLY,
    user: { status: 403, code: 'FORBIDDEN' },
    'other-user': { status: 403, code: 'FORBIDDEN' },
    admin: ok,
  };
}

export interface AccessTable<S> {
  /** Starts the backend (default: `startTestApp()`); e.g. a storage stack or a backups app. */
  start?: () => Promise<TestApp & { close(): Promise<void> }>;
  /** Makes the file's records once, after the actors exist. */
  seed?: (ctx: AccessContext) => Promise<S>;
  scenarios: Scenario<S>[];
}

const WRONG_API_KEY = 'not-the-api-key-of-this-install-000000';

async function signUp(app: FastifyInstance, email: string): Promise<SeededUser> {
  const made = await registerUser(app, email);
  return { id: made.id, email, password: made.password, token: made.access_token };
}

function urlTemplate(url: unknown): string {
  return typeof url === 'string' ? url : '(url of the seeded records)';
}

/** Declares one `describe` of the rows: seeds once, then one test per row. */
export function describeAccess<S extends object>(title: string, table: AccessTable<S>): void {
  describe(title, () => {
    let started: TestApp | undefined;
    let db: pg.Client | undefined;
    let seed: S & AccessContext;

    before(async () => {
      started = await (table.start ?? (() => startTestApp()))();
      db = new pg.Client({ connectionString: started.db.directUrl });
      await db.connect();
      const app = started.app;
      const adminTokens = await login(app, ADMIN.email, ADMIN.password);
      const me = await call(app, 'GET', '/users/me', { token: adminTokens.access_token });
      const admin = {
        id: String(me.body.id),
        email: ADMIN.email,
        password: ADMIN.password,
        token: adminTokens.access_token,
      };
      const user = await signUp(app, 'access-user@example.com');
      const otherUser = await signUp(app, 'access-other@example.com');
      const inactiveUser = await signUp(app, 'access-inactive@example.com');
      // Deactivated through the API, as an admin does it; a token issued before still reaches the auth hook.
      const off = await call(app, 'PATCH', `/users/${inactiveUser.id}`, {
        token: admin.token,
        body: { isActive: false },
      });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      const ctx: AccessContext = { app, t: started, db, admin, user, otherUser, inactiveUser };
      seed = { ...ctx, ...((await table.seed?.(ctx)) ?? ({} as S)) };
    });
    after(async () => {
      // Also when the seeding failed: an open client would keep the test process alive.
      await db?.end();
      await started?.close();
    });

    for (const scenario of table.scenarios) {
      const expected = typeof scenario.expect === 'number' ? { status: scenario.expect } : scenario.expect;
      const label = `${scenario.name}: ${scenario.method} ${urlTemplate(scenario.url)} as ${scenario.actor} → ${
        expected.status
      }${expected.code ? ` ${expected.code}` : ''}`;
      test(label, async () => {
        const resolve = <T>(value: Resolvable<S, T>): T | Promise<T> =>
          typeof value === 'function' ? (value as (s: S & AccessContext) => T | Promise<T>)(seed) : value;
        const url = await resolve(scenario.url);
        const body = scenario.body === undefined ? undefined : await resolve(scenario.body);
        const token = {
          'no-api-key': undefined,
          'wrong-api-key': undefined,
          'anonymous-with-key': undefined,
          'bad-token': 'not.a.jwt',
          user: seed.user.token,
          'other-user': seed.otherUser.token,
          'inactive-user': seed.inactiveUser.token,
          admin: seed.admin.token,
        }[scenario.actor];
        const apiKey =
          scenario.actor === 'no-api-key'
            ? null
            : scenario.actor === 'wrong-api-key'
              ? WRONG_API_KEY
              : undefined;
        const response = await call(seed.app, scenario.method, url, { token, apiKey, body });
        const shown = JSON.stringify(response.body)?.slice(0, 500);
        assert.equal(response.status, expected.status, `${scenario.method} ${url}: ${shown}`);
        if (expected.status >= 400) {
          assert.equal(typeof response.body?.detail, 'string', `an error has a detail: ${shown}`);
          assert.equal(typeof response.body?.code, 'string', `an error has a code: ${shown}`);
        }
        if (expected.code) assert.equal(response.body?.code, expected.code, shown);
        if (expected.status >= 400) await scenario.unchanged?.(seed);
      });
    }
  });
}
