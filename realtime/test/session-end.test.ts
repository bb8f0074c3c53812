// Tokens die when their session does (issue 10, part 5): after each kind of session end, the old access tokens are
// refused within a second by the backend process that ended it, by another backend process on the same database,
// and by the realtime service (on connect and on `access_token`); a single logout leaves the user's other sessions
// working. Sockets already open on a token of the ended session are signed out within a second too (each channel
// gets phx_close INVALID_TOKEN, the socket closes with 4001), while the user's other sessions keep receiving.
// Real processes, real database, real sockets.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type pg from 'pg';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  ADMIN,
  call,
  login,
  registerUser,
  startTestApp,
  type TestApp,
  testEnv,
} from '../../backend/test/helpers.ts';
import { freePort, stopProcess } from '../../scripts/lib/processes.ts';
import {
  API_KEY,
  connectSql,
  createTable,
  RawClient,
  sleep,
  socketUrl,
  startRealtime,
  type TestRealtime,
} from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** How soon every service must refuse a token of an ended session. */
const WITHIN_MS = 1000;

let backend: TestApp;
let other: { child: ChildProcess; base: string };
let realtime: TestRealtime;
let adminToken: string;
let sql: pg.Client;
let counter = 0;
const sockets: RawClient[] = [];

/** A second backend: its own OS process (own memory, own pool) on the same database, as a replica would be. */
async function startBackendProcess(app: TestApp): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'backend/src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      ...testEnv(app.db, {
        BACKEND_HOST: '127.0.0.1',
        BACKEND_PORT: String(port),
        RUN_MIGRATIONS: 'false',
        LOG_LEVEL: 'error',
        REALTIME_PRUNE_INTERVAL_SECONDS: '0',
      }),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const healthy = await fetch(`${base}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return { child, base };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the second backend process did not start');
    }
    await sleep(100);
  }
}

before(async () => {
  backend = await startTestApp();
  adminToken = (await login(backend.app, ADMIN.email, ADMIN.password)).access_token;
  [other, realtime] = await Promise.all([startBackendProcess(backend), startRealtime(backend.db)]);
  sql = await connectSql(backend.db);
});

after(async () => {
  for (const socket of sockets) socket.close();
  await sql?.end();
  if (other) await stopProcess(other.child, 'SIGTERM');
  await realtime?.close();
  await backend?.close();
});

type Outcome = number | 'ok';

/** What each service answers for `token`: an HTTP status, or 'ok' when it is accepted. */
const services: Record<string, (token: string) => Promise<Outcome>> = {
  async 'the same backend process'(token) {
    const { status } = await call(backend.app, 'GET', '/users/me', { token });
    return status === 200 ? 'ok' : status;
  },
  async 'another backend process'(token) {
    const response = await fetch(`${other.base}/users/me`, {
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${token}` },
    });
    await response.arrayBuffer();
    return response.status === 200 ? 'ok' : response.status;
  },
  async 'realtime (connect)'(token) {
    try {
      (await RawClient.open(socketUrl(realtime.base, { token }))).close();
      return 'ok';
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (typeof status !== 'number') throw err;
      return status;
    }
  },
  async 'realtime (access_token on an open socket)'(token) {
    const client = await RawClient.open(socketUrl(realtime.base));
    try {
      const reply = await client.request('phoenix', 'access_token', { access_token: token });
      if (reply.payload.status === 'ok') return 'ok';
      const code = (reply.payload.response as { code?: string }).code;
      return code === 'USER_INACTIVE' ? 400 : code === 'INVALID_TOKEN' ? 401 : 500;
    } finally {
      client.close();
    }
  },
};

/** Asserts that every service accepts `token`. */
async function assertAccepted(token: string, what: string) {
  for (const [service, attempt] of Object.entries(services)) {
    assert.equal(await attempt(token), 'ok', `${service} accepts ${what}`);
  }
}

/** Asserts that every service refuses `token` with `status`, within WITHIN_MS of `endedAt`. */
async function assertRefused(token: string, status: number, endedAt: number, what: string) {
  for (const [service, attempt] of Object.entries(services)) {
    let outcome: Outcome;
    do outcome = await attempt(token);
    while (outcome === 'ok' && Date.now() - endedAt < WITHIN_MS);
    assert.equal(outcome, status, `${service} refuses ${what} (${Date.now() - endedAt} ms after the end)`);
  }
}

/** A fresh user signed in on two devices. */
async function twoSessions() {
  const user = await registerUser(backend.app, `sessions${++counter}@example.com`);
  const laptop = await login(backend.app, user.email, user.password);
  assert.notEqual(decodeJwt(user.access_token).sid, decodeJwt(laptop.access_token).sid, 'two sessions');
  await assertAccepted(user.access_token, 'the phone token');
  await assertAccepted(laptop.access_token, 'the laptop token');
  return { user, phone: user, laptop };
}

describe('a single logout', () => {
  test('ends the session of its token everywhere; the user’s other session keeps working', async () => {
    const { phone, laptop } = await twoSessions();
    const out = await call(backend.app, 'POST', '/users/logout', { token: phone.access_token });
    const endedAt = Date.now();
    assert.equal(out.status, 200);
    await assertRefused(phone.access_token, 401, endedAt, 'the logged-out token');
    await assertAccepted(laptop.access_token, 'the other session’s token');
    const refreshed = await call(backend.app, 'POST', '/users/token/refresh', {
      body: { refresh_token: laptop.refresh_token },
    });
    assert.equal(refreshed.status, 200, 'the other session still refreshes');
    await assertAccepted(String(refreshed.body.access_token), 'the refreshed token');
    assert.equal(
      (
        await call(backend.app, 'POST', '/users/token/refresh', {
          body: { refresh_token: phone.refresh_token },
        })
      ).status,
      401,
      'the logged-out session cannot be refreshed back to life',
    );
  });

  test('in another backend process ends the session there too, and a rotated session stays one session', async () => {
    const { phone, laptop } = await twoSessions();
    // Rotate the phone's refresh token: the new access token belongs to the same session.
    const rotated = await call(backend.app, 'POST', '/users/token/refresh', {
      body: { refresh_token: phone.refresh_token },
    });
    const rotatedToken = String(rotated.body.access_token);
    assert.equal(decodeJwt(rotatedToken).sid, decodeJwt(phone.access_token).sid);
    const out = await fetch(`${other.base}/users/logout`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${rotatedToken}` },
    });
    const endedAt = Date.now();
    assert.equal(out.status, 200);
    await assertRefused(rotatedToken, 401, endedAt, 'the rotated token');
    await assertRefused(phone.access_token, 401, endedAt, 'the token from before the rotation');
    await assertAccepted(laptop.access_token, 'the other session’s token');
  });
});

// Each of these ends every session of the user. `act` ends them; `status` is what the old tokens get then.
const ENDS: Array<{
  name: string;
  status: number;
  act: (user: Awaited<ReturnType<typeof twoSessions>>['user']) => Promise<{ status: number }>;
}> = [
  {
    name: 'logout from all devices',
    status: 401,
    act: (user) => call(backend.app, 'POST', '/users/logout/all', { token: user.access_token }),
  },
  {
    name: 'changing one’s own password',
    status: 401,
    act: (user) =>
      call(backend.app, 'PATCH', `/users/${user.id}`, {
        token: user.access_token,
        body: { password: 'Changed1234', current_password: user.password },
      }),
  },
  {
    name: 'an admin setting the password',
    status: 401,
    act: (user) =>
      call(backend.app, 'PATCH', `/users/${user.id}`, {
        token: adminToken,
        body: { password: 'Reset12345' },
      }),
  },
  {
    name: 'a role change (promotion)',
    status: 401,
    act: (user) =>
      call(backend.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body: { role: 'ADMIN' } }),
  },
  {
    name: 'deactivation',
    status: 400,
    act: (user) =>
      call(backend.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body: { isActive: false } }),
  },
  {
    name: 'deletion',
    status: 401,
    act: (user) => call(backend.app, 'DELETE', `/users/${user.id}`, { token: adminToken }),
  },
];

describe('ending every session of a user', () => {
  for (const end of ENDS) {
    test(`${end.name}: every old token is refused everywhere within a second`, async () => {
      const { user, phone, laptop } = await twoSessions();
      const response = await end.act(user);
      const endedAt = Date.now();
      assert.equal(response.status, 200, JSON.stringify(response));
      await assertRefused(phone.access_token, end.status, endedAt, 'the phone token');
      await assertRefused(laptop.access_token, end.status, endedAt, 'the laptop token');
      for (const refreshToken of [phone.refresh_token, laptop.refresh_token]) {
        const refreshed = await call(backend.app, 'POST', '/users/token/refresh', {
          body: { refresh_token: refreshToken },
        });
        assert.notEqual(refreshed.status, 200, 'no refresh token of the user works either');
      }
    });
  }

  test('a demotion ends the sessions too, and reactivating a user does not revive old tokens', async () => {
    const { user, phone } = await twoSessions();
    await call(backend.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body: { role: 'ADMIN' } });
    const admin = await login(backend.app, user.email, user.password);
    await assertAccepted(admin.access_token, 'the new admin token');
    await call(backend.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body: { role: 'USER' } });
    await assertRefused(admin.access_token, 401, Date.now(), 'the token of the admin who was demoted');

    const again = await login(backend.app, user.email, user.password);
    await call(backend.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body: { isActive: false } });
    await call(backend.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body: { isActive: true } });
    await assertRefused(again.access_token, 401, Date.now(), 'a token from before the deactivation');
    await assertRefused(phone.access_token, 401, Date.now(), 'a token from before the promotion');
    await assertAccepted((await login(backend.app, user.email, user.password)).access_token, 'a new login');
  });
});

// Sockets that were open (and joined) when their session ended.

/** A socket on `token`, joined to `topics` (each join must succeed). */
async function joinedSocket(token: string, topics: string[]): Promise<RawClient> {
  const client = await RawClient.open(socketUrl(realtime.base, { token }));
  sockets.push(client);
  for (const topic of topics) {
    const reply = await client.join(topic);
    assert.equal(reply.payload.status, 'ok', `join ${topic}: ${JSON.stringify(reply.payload)}`);
  }
  return client;
}

/** A private table of `owner`, captured; returns its topic. */
async function privateTable(owner: { id: string }): Promise<string> {
  const name = `notes${++counter}`;
  await createTable(sql, name, owner, { public: false });
  return `table:${name}`;
}

async function insertRow(topic: string, label: string): Promise<void> {
  await sql.query(`INSERT INTO "${topic.slice('table:'.length)}" (label) VALUES ($1)`, [label]);
}

/**
 * Asserts that `client` was signed out within WITHIN_MS of `endedAt`: each of `topics` got phx_close with `code`,
 * the socket closed with 4001, and no change reached it after its channels were closed.
 */
async function assertSignedOut(
  client: RawClient,
  topics: string[],
  endedAt: number,
  what: string,
  code = 'INVALID_TOKEN',
): Promise<void> {
  const closed = await client.waitClosed(WITHIN_MS + 4000);
  const took = Date.now() - endedAt;
  assert.ok(took <= WITHIN_MS, `${what} is signed out ${took} ms after the end (at most ${WITHIN_MS})`);
  assert.equal(closed.code, 4001, `${what}: close code`);
  for (const topic of topics) {
    const at = client.frames.findIndex((f) => f.topic === topic && f.event === 'phx_close');
    assert.ok(at >= 0, `${what}: ${topic} got phx_close`);
    assert.equal(client.frames[at]!.payload.code, code, `${what}: ${topic} phx_close code`);
    assert.equal(typeof client.frames[at]!.payload.reason, 'string');
    const later = client.frames.slice(at + 1).filter((f) => f.topic === topic);
    assert.deepEqual(later, [], `${what}: nothing on ${topic} after its phx_close`);
  }
}

/** Asserts that a change written now reaches `client` on `topic` (it still receives). */
async function assertReceives(client: RawClient, topic: string, what: string): Promise<void> {
  const label = `still flowing ${++counter}`;
  await insertRow(topic, label);
  await client.waitFor(
    (f) =>
      f.topic === topic && f.event === 'insert' && (f.payload.new as { label?: string })?.label === label,
    5000,
  );
  assert.equal(client.closeCode, null, `${what} is still open`);
}

describe('an open socket whose session ends', () => {
  test('a single logout signs out every socket of that session; the other session keeps receiving', async () => {
    const { user, phone, laptop } = await twoSessions();
    const topic = await privateTable(user);
    const phoneSockets = await Promise.all([
      joinedSocket(phone.access_token, [topic]),
      joinedSocket(phone.access_token, [topic]),
    ]);
    const laptopSocket = await joinedSocket(laptop.access_token, [topic]);
    await assertReceives(phoneSockets[0]!, topic, 'the phone socket before the logout');

    const out = await call(backend.app, 'POST', '/users/logout', { token: phone.access_token });
    const endedAt = Date.now();
    assert.equal(out.status, 200);
    for (const socket of phoneSockets) await assertSignedOut(socket, [topic], endedAt, 'a phone socket');
    assert.match(phoneSockets[0]!.closeReason, /session ended/);
    await assertReceives(laptopSocket, topic, 'the laptop socket');
  });

  test('a socket that switched to another session’s token (access_token) follows that session', async () => {
    const { user, phone, laptop } = await twoSessions();
    const topic = await privateTable(user);
    const switched = await joinedSocket(phone.access_token, [topic]);
    const reply = await switched.request('phoenix', 'access_token', { access_token: laptop.access_token });
    assert.equal(reply.payload.status, 'ok');
    const stays = await joinedSocket(phone.access_token, [topic]);

    // The phone session ends: the socket now on the laptop's session stays.
    assert.equal(
      (await call(backend.app, 'POST', '/users/logout', { token: phone.access_token })).status,
      200,
    );
    await assertSignedOut(stays, [topic], Date.now(), 'the socket still on the phone session');
    await assertReceives(switched, topic, 'the socket on the laptop session');

    // The laptop session ends, in another backend process: now it goes too.
    const out = await fetch(`${other.base}/users/logout`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${laptop.access_token}` },
    });
    const endedAt = Date.now();
    assert.equal(out.status, 200);
    await assertSignedOut(switched, [topic], endedAt, 'the socket on the laptop session');
  });

  // Each ends every session of the user: every socket goes; a new login's socket and other users' keep receiving.
  const ALL: Array<{
    name: string;
    act: (user: Awaited<ReturnType<typeof twoSessions>>['user']) => Promise<{ status: number }>;
    newPassword?: string;
  }> = [
    {
      name: 'logout from all devices (in another backend process)',
      act: async (user) => {
        const response = await fetch(`${other.base}/users/logout/all`, {
          method: 'POST',
          headers: { 'x-api-key': API_KEY, authorization: `Bearer ${user.access_token}` },
        });
        await response.arrayBuffer();
        return response;
      },
    },
    {
      name: 'changing one’s own password',
      newPassword: 'Changed1234',
      act: (user) =>
        call(backend.app, 'PATCH', `/users/${user.id}`, {
          token: user.access_token,
          body: { password: 'Changed1234', current_password: user.password },
        }),
    },
    {
      name: 'an admin setting the password',
      newPassword: 'Reset12345',
      act: (user) =>
        call(backend.app, 'PATCH', `/users/${user.id}`, {
          token: adminToken,
          body: { password: 'Reset12345' },
        }),
    },
    {
      name: 'a promotion to admin',
      act: (user) =>
        call(backend.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body: { role: 'ADMIN' } }),
    },
  ];
  for (const end of ALL) {
    test(`${end.name} signs out every socket of the user`, async () => {
      const { user, phone, laptop } = await twoSessions();
      const bystander = await registerUser(backend.app, `bystander${++counter}@example.com`);
      const topic = await privateTable(user);
      const bystanderTopic = await privateTable(bystander);
      const phoneSocket = await joinedSocket(phone.access_token, [topic]);
      const laptopSocket = await joinedSocket(laptop.access_token, [topic]);
      const bystanderSocket = await joinedSocket(bystander.access_token, [bystanderTopic]);

      const response = await end.act(user);
      const endedAt = Date.now();
      assert.equal(response.status, 200);
      await assertSignedOut(phoneSocket, [topic], endedAt, 'the phone socket');
      await assertSignedOut(laptopSocket, [topic], endedAt, 'the laptop socket');
      await assertReceives(bystanderSocket, bystanderTopic, 'another user’s socket');
      const again = await login(backend.app, user.email, end.newPassword ?? user.password);
      await assertReceives(await joinedSocket(again.access_token, [topic]), topic, 'a new login’s socket');
    });
  }

  test('a demoted admin loses the system topics at once and is signed out; a new login is a user’s', async () => {
    const user = await registerUser(backend.app, `demoted${++counter}@example.com`);
    assert.equal(
      (await call(backend.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body: { role: 'ADMIN' } }))
        .status,
      200,
    );
    const asAdmin = await login(backend.app, user.email, user.password);
    const topic = await privateTable(user);
    const socket = await joinedSocket(asAdmin.access_token, ['table:users', topic]);
    const watcher = await joinedSocket(adminToken, ['table:users']);

    const response = await call(backend.app, 'PATCH', `/users/${user.id}`, {
      token: adminToken,
      body: { role: 'USER' },
    });
    const endedAt = Date.now();
    assert.equal(response.status, 200);
    const closed = await socket.waitFor(
      (f) => f.topic === 'table:users' && f.event === 'phx_close',
      WITHIN_MS,
    );
    // The feed's user change (FORBIDDEN) or the session check (INVALID_TOKEN), whichever comes first.
    assert.ok(['FORBIDDEN', 'INVALID_TOKEN'].includes(String(closed.payload.code)), JSON.stringify(closed));
    await socket.waitClosed(WITHIN_MS + 4000);
    assert.ok(Date.now() - endedAt <= WITHIN_MS, `signed out ${Date.now() - endedAt} ms after the demotion`);
    assert.equal(socket.closeCode, 4001);
    const usersChanges = socket.changes('table:users').length;
    // A system change after the demotion reaches the admin still signed in, never the demoted one.
    await registerUser(backend.app, `after-demotion${++counter}@example.com`);
    await watcher.waitFor((f) => f.topic === 'table:users' && f.event === 'insert');
    assert.equal(socket.changes('table:users').length, usersChanges);

    const again = await login(backend.app, user.email, user.password);
    const fresh = await joinedSocket(again.access_token, [topic]);
    const refused = await fresh.join('table:users');
    assert.equal((refused.payload.response as { code: string }).code, 'FORBIDDEN');
  });

  test('deactivation and deletion sign the sockets out with their own reason', async () => {
    for (const [end, reason, code] of [
      ['deactivation', /deactivated/, 'USER_INACTIVE'],
      ['deletion', /deleted/, 'INVALID_TOKEN'],
    ] as const) {
      const { user, phone } = await twoSessions();
      // A table of someone else: deleting the user drops the user's own tables (their channels end NOT_FOUND).
      const { rows } = await sql.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [
        ADMIN.email,
      ]);
      const topic = `table:shared${++counter}`;
      await createTable(sql, topic.slice('table:'.length), rows[0]!, { public: true });
      const socket = await joinedSocket(phone.access_token, [topic]);
      const response =
        end === 'deactivation'
          ? await call(backend.app, 'PATCH', `/users/${user.id}`, {
              token: adminToken,
              body: { isActive: false },
            })
          : await call(backend.app, 'DELETE', `/users/${user.id}`, { token: adminToken });
      const endedAt = Date.now();
      assert.equal(response.status, 200);
      await assertSignedOut(socket, [topic], endedAt, `the socket (${end})`, code);
      assert.match(socket.closeReason, reason);
    }
  });
});
