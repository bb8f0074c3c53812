// Authorization of every /users operation as a table of scenarios: no key, anonymous, the user themself, another
// user, and an admin (SPEC §2: self-service profile, admin-only lists, counts, deletes and role changes).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, API_KEY, call, login, registerUser, startTestApp, type TestApp } from './helpers.ts';

type Actor = 'nokey' | 'anonymous' | 'self' | 'other' | 'admin';

interface Scenario {
  name: string;
  method: string;
  /** Path; `:target` is replaced by the target user's id (a fresh user per destructive scenario). */
  path: string;
  body?: unknown;
  expect: Record<Actor, number>;
  /** true: each actor gets a fresh target user, because the operation changes it. */
  freshTarget?: boolean;
  /** true: each actor signs in anew, because the operation ends the session of its token. */
  freshSession?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'read me',
    method: 'GET',
    path: '/users/me',
    expect: { nokey: 406, anonymous: 401, self: 200, other: 200, admin: 200 },
  },
  {
    name: 'count users',
    method: 'GET',
    path: '/users/count',
    expect: { nokey: 406, anonymous: 401, self: 403, other: 403, admin: 200 },
  },
  {
    name: 'list users',
    method: 'GET',
    path: '/users/',
    expect: { nokey: 406, anonymous: 401, self: 403, other: 403, admin: 200 },
  },
  {
    name: 'read a user',
    method: 'GET',
    path: '/users/:target',
    expect: { nokey: 406, anonymous: 401, self: 200, other: 403, admin: 200 },
  },
  {
    name: 'update names',
    method: 'PATCH',
    path: '/users/:target',
    body: { firstName: 'Renamed' },
    expect: { nokey: 406, anonymous: 401, self: 200, other: 403, admin: 200 },
  },
  {
    name: 'change password',
    method: 'PATCH',
    path: '/users/:target',
    body: { password: 'NewPass1234', current_password: 'UserPass123' },
    freshTarget: true,
    expect: { nokey: 406, anonymous: 401, self: 200, other: 403, admin: 200 },
  },
  {
    name: 'change role',
    method: 'PATCH',
    path: '/users/:target',
    body: { role: 'ADMIN' },
    freshTarget: true,
    expect: { nokey: 406, anonymous: 401, self: 403, other: 403, admin: 200 },
  },
  {
    name: 'deactivate',
    method: 'PATCH',
    path: '/users/:target',
    body: { isActive: false },
    freshTarget: true,
    expect: { nokey: 406, anonymous: 401, self: 403, other: 403, admin: 200 },
  },
  {
    name: 'delete a user',
    method: 'DELETE',
    path: '/users/:target',
    freshTarget: true,
    expect: { nokey: 406, anonymous: 401, self: 403, other: 403, admin: 200 },
  },
  {
    name: 'logout',
    method: 'POST',
    path: '/users/logout',
    freshSession: true,
    expect: { nokey: 406, anonymous: 401, self: 200, other: 200, admin: 200 },
  },
  {
    name: 'logout all',
    method: 'POST',
    path: '/users/logout/all',
    freshSession: true,
    expect: { nokey: 406, anonymous: 401, self: 200, other: 200, admin: 200 },
  },
];

let t: TestApp;
let adminToken: string;
let other: Awaited<ReturnType<typeof registerUser>>;
let counter = 0;

before(async () => {
  t = await startTestApp();
  adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
  other = await registerUser(t.app, 'other@example.com');
});
after(() => t.close());

describe('/users authorization', () => {
  let shared: Awaited<ReturnType<typeof registerUser>>;
  before(async () => {
    shared = await registerUser(t.app, 'target@example.com');
  });

  for (const scenario of SCENARIOS) {
    for (const actor of Object.keys(scenario.expect) as Actor[]) {
      const expected = scenario.expect[actor];
      test(`${scenario.name} as ${actor} → ${expected}`, async () => {
        const target = scenario.freshTarget
          ? await registerUser(t.app, `fresh${++counter}@example.com`)
          : shared;
        const signIn = async (email: string, password: string, token: string) =>
          scenario.freshSession ? (await login(t.app, email, password)).access_token : token;
        const token = {
          nokey: undefined,
          anonymous: undefined,
          self: await signIn(target.email, target.password, target.access_token),
          other: await signIn(other.email, other.password, other.access_token),
          admin: await signIn(ADMIN.email, ADMIN.password, adminToken),
        }[actor];
        const response = await call(t.app, scenario.method, scenario.path.replace(':target', target.id), {
          token,
          apiKey: actor === 'nokey' ? null : undefined,
          body: scenario.body,
        });
        assert.equal(response.status, expected, JSON.stringify(response.body));
        if (scenario.freshSession) {
          // Logging out of all devices ended the shared sessions too: sign in again for the scenarios after.
          adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
          other = { ...other, ...(await login(t.app, other.email, other.password)) };
        }
        if (expected >= 400) {
          assert.equal(typeof response.body.detail, 'string');
          assert.equal(typeof response.body.code, 'string');
        }
      });
    }
  }
});

describe('what each actor sees and changes', () => {
  test('registration needs only the API key and always makes a USER', async () => {
    const response = await call(t.app, 'POST', '/users/', {
      body: { email: 'new@example.com', password: 'Passw0rd!', firstName: 'N', lastName: 'U' },
    });
    assert.equal(response.status, 201);
    assert.deepEqual(Object.keys(response.body).sort(), [
      'created_at',
      'email',
      'firstName',
      'id',
      'isActive',
      'lastName',
      'role',
    ]);
    assert.equal(response.body.role, 'USER');
    assert.equal(response.body.isActive, true);
    const noKey = await call(t.app, 'POST', '/users/', {
      apiKey: null,
      body: { email: 'nokey@example.com', password: 'Passw0rd!', firstName: 'N', lastName: 'U' },
    });
    assert.equal(noKey.status, 406);
    assert.equal(noKey.body.detail, 'Missing required header: X-API-Key');
  });

  test('a user cannot read another user, whether or not that id exists', async () => {
    const me = await registerUser(t.app, 'curious@example.com');
    const existing = await call(t.app, 'GET', `/users/${other.id}`, { token: me.access_token });
    const missing = await call(t.app, 'GET', '/users/00000000-0000-4000-8000-000000000000', {
      token: me.access_token,
    });
    assert.equal(existing.status, 403);
    assert.equal(missing.status, 403);
    assert.deepEqual(existing.body, missing.body);
  });

  test('self-service update changes names and email, and the new password works', async () => {
    const me = await registerUser(t.app, 'selfservice@example.com');
    const patched = await call(t.app, 'PATCH', `/users/${me.id}`, {
      token: me.access_token,
      body: {
        first_name: 'Snake',
        lastName: 'Camel',
        email: 'moved@example.com',
        password: 'Changed123',
        current_password: 'UserPass123',
      },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.firstName, 'Snake');
    assert.equal(patched.body.lastName, 'Camel');
    assert.equal(patched.body.email, 'moved@example.com');
    assert.equal(
      (
        await call(t.app, 'POST', '/users/token', {
          body: { email: 'moved@example.com', password: 'UserPass123' },
        })
      ).status,
      401,
    );
    await login(t.app, 'moved@example.com', 'Changed123');
    // The password change ended the other sessions.
    assert.equal(
      (await call(t.app, 'POST', '/users/token/refresh', { body: { refresh_token: me.refresh_token } }))
        .status,
      401,
    );
  });

  test('a user who tries to promote themself changes nothing', async () => {
    const me = await registerUser(t.app, 'climber@example.com');
    const response = await call(t.app, 'PATCH', `/users/${me.id}`, {
      token: me.access_token,
      body: { firstName: 'Sneaky', role: 'ADMIN' },
    });
    assert.equal(response.status, 403);
    const after = await call(t.app, 'GET', '/users/me', { token: me.access_token });
    assert.equal(after.body.role, 'USER');
    assert.equal(after.body.firstName, 'Test');
  });

  test('an admin promotes a user: their old tokens are refused, a new login has admin rights', async () => {
    const me = await registerUser(t.app, 'promoted@example.com');
    assert.equal((await call(t.app, 'GET', '/users/count', { token: me.access_token })).status, 403);
    const response = await call(t.app, 'PATCH', `/users/${me.id}`, {
      token: adminToken,
      body: { role: 'ADMIN' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.role, 'ADMIN');
    assert.equal((await call(t.app, 'GET', '/users/count', { token: me.access_token })).status, 401);
    const again = await login(t.app, me.email, me.password);
    assert.equal((await call(t.app, 'GET', '/users/count', { token: again.access_token })).status, 200);
  });

  test('email taken by someone else → 409, nothing changed', async () => {
    const me = await registerUser(t.app, 'dup-a@example.com');
    const response = await call(t.app, 'PATCH', `/users/${me.id}`, {
      token: me.access_token,
      body: { email: 'OTHER@example.com', firstName: 'Changed' },
    });
    assert.equal(response.status, 409);
    assert.equal(response.body.detail, 'Email already taken');
    assert.equal((await call(t.app, 'GET', '/users/me', { token: me.access_token })).body.firstName, 'Test');
  });

  test('registering a taken email (any letter case) → 409', async () => {
    const response = await call(t.app, 'POST', '/users/', {
      body: { email: 'Other@Example.com', password: 'Passw0rd!', firstName: 'N', lastName: 'U' },
    });
    assert.equal(response.status, 409);
    assert.equal(response.body.code, 'EMAIL_TAKEN');
  });

  test('the last active admin cannot be demoted, deactivated or deleted', async () => {
    const fresh = await startTestApp();
    try {
      const token = (await login(fresh.app, ADMIN.email, ADMIN.password)).access_token;
      const me = (await call(fresh.app, 'GET', '/users/me', { token })).body;
      for (const body of [{ role: 'USER' }, { isActive: false }]) {
        const response = await call(fresh.app, 'PATCH', `/users/${me.id}`, { token, body });
        assert.equal(response.status, 409);
        assert.equal(response.body.code, 'LAST_ADMIN');
      }
      assert.equal((await call(fresh.app, 'DELETE', `/users/${me.id}`, { token })).status, 409);
      assert.equal((await call(fresh.app, 'GET', '/users/me', { token })).body.role, 'ADMIN');
    } finally {
      await fresh.close();
    }
  });

  test('deleting a user ends their access and answers the upstream body', async () => {
    const victim = await registerUser(t.app, 'deleted@example.com');
    const response = await call(t.app, 'DELETE', `/users/${victim.id}`, { token: adminToken });
    assert.deepEqual(response.body, { status: 'user_deleted', id: victim.id });
    assert.equal((await call(t.app, 'GET', '/users/me', { token: victim.access_token })).status, 401);
    assert.equal((await call(t.app, 'GET', `/users/${victim.id}`, { token: adminToken })).status, 404);
    assert.equal((await call(t.app, 'DELETE', `/users/${victim.id}`, { token: adminToken })).status, 404);
  });

  test('list: pagination, search, sorting; count agrees', async () => {
    for (const name of ['zed', 'amy', 'bob']) await registerUser(t.app, `sort-${name}@example.com`);
    const sorted = await call(t.app, 'GET', '/users/?search=sort-&sort_by=email&sort_order=asc', {
      token: adminToken,
    });
    assert.equal(sorted.status, 200);
    assert.deepEqual(
      (sorted.body as unknown as { email: string }[]).map((u) => u.email),
      ['sort-amy@example.com', 'sort-bob@example.com', 'sort-zed@example.com'],
    );
    const page = await call(
      t.app,
      'GET',
      '/users/?search=sort-&sort_by=email&sort_order=asc&skip=1&limit=1',
      { token: adminToken },
    );
    assert.deepEqual(
      (page.body as unknown as { email: string }[]).map((u) => u.email),
      ['sort-bob@example.com'],
    );
    const count = await call(t.app, 'GET', '/users/count?search=SORT-', { token: adminToken });
    assert.equal(count.body, 3);
    const all = await call(t.app, 'GET', '/users/count', { token: adminToken });
    const listed = await call(t.app, 'GET', '/users', { token: adminToken });
    assert.equal(listed.status, 200, 'no trailing slash works too');
    assert.equal(listed.body.length, all.body);
    assert.ok((listed.body as unknown as object[]).every((u) => !('password' in u)));
  });
});

describe('passwords and sign-up', () => {
  test('changing your own password needs the current one; an admin sets another user’s without it', async () => {
    const me = await registerUser(t.app, 'changer@example.com');
    const change = (token: string, body: Record<string, unknown>, id = me.id) =>
      call(t.app, 'PATCH', `/users/${id}`, { token, body });
    for (const [name, body] of [
      ['missing', { password: 'Newer1234' }],
      ['null', { password: 'Newer1234', current_password: null }],
      ['wrong', { password: 'Newer1234', current_password: 'WrongPass1' }],
    ] as const) {
      const refused = await change(me.access_token, body);
      assert.equal(refused.status, 400, name);
      assert.equal(refused.body.code, 'INVALID_CURRENT_PASSWORD', name);
      assert.equal(typeof refused.body.detail, 'string');
    }
    assert.equal((await change(me.access_token, { current_password: 'x'.repeat(73) })).status, 422);
    // Nothing changed: the old password logs in, the session is still open.
    assert.equal((await call(t.app, 'GET', '/users/me', { token: me.access_token })).status, 200);
    await login(t.app, me.email, 'UserPass123');
    // Other fields need no current password.
    assert.equal((await change(me.access_token, { firstName: 'Still' })).status, 200);

    const changed = await change(me.access_token, { password: 'Newer1234', currentPassword: 'UserPass123' });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal((await call(t.app, 'GET', '/users/me', { token: me.access_token })).status, 401);
    const after = await login(t.app, me.email, 'Newer1234');

    const set = await change(adminToken, { password: 'AdminSet123' });
    assert.equal(set.status, 200, 'an admin sets another user’s password without the current one');
    assert.equal((await call(t.app, 'GET', '/users/me', { token: after.access_token })).status, 401);
    await login(t.app, me.email, 'AdminSet123');

    // An admin changing their own password is a user changing their own password.
    const boss = await registerUser(t.app, 'boss@example.com');
    await change(adminToken, { role: 'ADMIN' }, boss.id);
    const bossToken = (await login(t.app, boss.email, boss.password)).access_token;
    const own = await change(bossToken, { password: 'BossPass123' }, boss.id);
    assert.equal(own.status, 400);
    assert.equal(own.body.code, 'INVALID_CURRENT_PASSWORD');
    const ownRight = await change(
      bossToken,
      { password: 'BossPass123', current_password: boss.password },
      boss.id,
    );
    assert.equal(ownRight.status, 200);
  });

  test('guessing the current password through PATCH is rate limited like login', async () => {
    const limited = await startTestApp({ RATE_LIMIT_LOGIN_PER_ACCOUNT: '3' });
    try {
      const me = await registerUser(limited.app, 'guessed@example.com');
      const guess = () =>
        call(limited.app, 'PATCH', `/users/${me.id}`, {
          token: me.access_token,
          body: { password: 'Newer1234', current_password: 'WrongPass1' },
        });
      // The registration's login counted once.
      for (let i = 0; i < 2; i++) assert.equal((await guess()).status, 400);
      const blocked = await guess();
      assert.equal(blocked.status, 429);
      assert.equal(blocked.body.code, 'RATE_LIMITED');
      assert.ok(Number(blocked.headers['retry-after']) > 0);
    } finally {
      await limited.close();
    }
  });

  test('ALLOW_SIGNUP=false: anonymous sign-up answers 403 SIGNUP_DISABLED and creates nothing; admins still create users', async () => {
    const closed = await startTestApp({ ALLOW_SIGNUP: 'false' });
    try {
      const body = (email: string) => ({ email, password: 'Passw0rd!', firstName: 'N', lastName: 'U' });
      const refused = await call(closed.app, 'POST', '/users/', { body: body('walkin@example.com') });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'SIGNUP_DISABLED');
      assert.equal(typeof refused.body.detail, 'string');
      const admin = (await login(closed.app, ADMIN.email, ADMIN.password)).access_token;
      const created = await call(closed.app, 'POST', '/users/', {
        token: admin,
        body: body('invited@example.com'),
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.role, 'USER');
      const user = (await login(closed.app, 'invited@example.com', 'Passw0rd!')).access_token;
      // An invalid token is refused as such (issue 17), never taken for an anonymous sign-up.
      for (const [name, token, status, code] of [
        ['a user token', user, 403, 'SIGNUP_DISABLED'],
        ['an invalid token', 'not.a.jwt', 401, 'INVALID_TOKEN'],
      ] as const) {
        const attempt = await call(closed.app, 'POST', '/users/', {
          token,
          body: body('friend@example.com'),
        });
        assert.equal(attempt.status, status, name);
        assert.equal(attempt.body.code, code, name);
      }
      const emails = (await call(closed.app, 'GET', '/users/', { token: admin })).body as unknown as {
        email: string;
      }[];
      assert.deepEqual(emails.map((u) => u.email).sort(), [ADMIN.email, 'invited@example.com']);
    } finally {
      await closed.close();
    }
  });

  test('anonymous sign-up is rate limited per client address; admins are not', async () => {
    const limited = await startTestApp({ RATE_LIMIT_SIGNUP_PER_ADDRESS: '2' });
    try {
      const signUp = (email: string, remoteAddress = '127.0.0.1', token?: string) =>
        limited.app.inject({
          method: 'POST',
          url: '/users/',
          remoteAddress,
          headers: { 'x-api-key': API_KEY, ...(token ? { authorization: `Bearer ${token}` } : {}) },
          payload: { email, password: 'Passw0rd!', firstName: 'N', lastName: 'U' },
        });
      assert.equal((await signUp('flood1@example.com')).statusCode, 201);
      assert.equal((await signUp('flood2@example.com')).statusCode, 201);
      const blocked = await signUp('flood3@example.com');
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.json().code, 'RATE_LIMITED');
      assert.ok(Number(blocked.headers['retry-after']) > 0);
      assert.equal((await signUp('elsewhere@example.com', '192.0.2.7')).statusCode, 201, 'another address');
      const admin = (await login(limited.app, ADMIN.email, ADMIN.password)).access_token;
      assert.equal((await signUp('byadmin@example.com', '127.0.0.1', admin)).statusCode, 201, 'an admin');
      const emails = (await call(limited.app, 'GET', '/users/', { token: admin })).body as unknown as {
        email: string;
      }[];
      assert.ok(!emails.some((u) => u.email === 'flood3@example.com'), 'the refused sign-up created nothing');
    } finally {
      await limited.close();
    }
  });
});
