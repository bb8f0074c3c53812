// Login, tokens, refresh rotation with reuse detection, logout, deactivation, and SelfDB 0.0.5 bcrypt hashes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createJwtKey, signAccessToken } from '@selfdb/common';
import bcrypt from 'bcryptjs';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import pg from 'pg';
import { ADMIN, call, login, registerUser, SECRET_KEY, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let adminToken: string;
before(async () => {
  t = await startTestApp({ ACCESS_TOKEN_EXPIRE_MINUTES: '15' });
  adminToken = (await login(t.app, ADMIN.email, ADMIN.password)).access_token;
});
after(() => t.close());

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: t.db.directUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

test('login answers a token pair; the access token is HS256 with sub, role and the configured lifetime', async () => {
  const response = await call(t.app, 'POST', '/users/token', {
    body: { email: ADMIN.email, password: ADMIN.password },
  });
  assert.equal(response.status, 200);
  assert.equal(response.body.token_type, 'bearer');
  assert.equal(response.body.expires_in, 900);
  assert.match(String(response.body.refresh_token), /^[A-Za-z0-9_-]{43}$/);
  const token = String(response.body.access_token);
  assert.equal(decodeProtectedHeader(token).alg, 'HS256');
  const claims = decodeJwt(token);
  assert.equal(claims.role, 'ADMIN');
  assert.equal(typeof claims.sub, 'string');
  assert.ok(Math.abs(Number(claims.exp) - Date.now() / 1000 - 900) < 10);
  const stored = await query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens');
  assert.ok(stored.length > 0);
  assert.ok(
    stored.every((row) => row.token_hash !== response.body.refresh_token),
    'refresh tokens are stored hashed',
  );
});

test('wrong password and unknown email give the same 401; emails match in any case', async () => {
  const wrong = await call(t.app, 'POST', '/users/token', {
    body: { email: ADMIN.email, password: 'nope-nope' },
  });
  const unknown = await call(t.app, 'POST', '/users/token', {
    body: { email: 'ghost@example.com', password: 'nope-nope' },
  });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.body, unknown.body);
  assert.deepEqual(wrong.body, { detail: 'Incorrect email or password', code: 'INVALID_CREDENTIALS' });
  const upper = await call(t.app, 'POST', '/users/token', {
    body: { email: ADMIN.email.toUpperCase(), password: ADMIN.password },
  });
  assert.equal(upper.status, 200);
});

test('first successful login marks the system initialized', async () => {
  const fresh = await startTestApp();
  try {
    assert.deepEqual((await call(fresh.app, 'GET', '/system/status')).body, {
      initialized: false,
      version: '0.1.0',
    });
    await call(fresh.app, 'POST', '/users/token', {
      body: { email: ADMIN.email, password: 'wrong-password' },
    });
    assert.equal((await call(fresh.app, 'GET', '/system/status')).body.initialized, false);
    await login(fresh.app, ADMIN.email, ADMIN.password);
    assert.equal((await call(fresh.app, 'GET', '/system/status')).body.initialized, true);
  } finally {
    await fresh.close();
  }
});

test('refresh rotates the token; reusing the old one revokes every session of the user', async () => {
  const user = await registerUser(t.app, 'rotate@example.com');
  const second = await login(t.app, user.email, user.password);
  const rotated = await call(t.app, 'POST', '/users/token/refresh', {
    body: { refresh_token: user.refresh_token },
  });
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.refresh_token, user.refresh_token);
  assert.equal(
    (await call(t.app, 'GET', '/users/me', { token: String(rotated.body.access_token) })).status,
    200,
  );

  const reused = await call(t.app, 'POST', '/users/token/refresh', {
    body: { refresh_token: user.refresh_token },
  });
  assert.deepEqual(reused.body, {
    detail: 'Token reuse detected. All sessions revoked.',
    code: 'REFRESH_TOKEN_REUSED',
  });
  assert.equal(reused.status, 401);
  for (const token of [String(rotated.body.refresh_token), second.refresh_token]) {
    assert.equal(
      (await call(t.app, 'POST', '/users/token/refresh', { body: { refresh_token: token } })).status,
      401,
    );
  }
});

test('concurrent refreshes with one token: exactly one succeeds', async () => {
  const user = await registerUser(t.app, 'race@example.com');
  const results = await Promise.all(
    [1, 2, 3].map(() =>
      call(t.app, 'POST', '/users/token/refresh', { body: { refresh_token: user.refresh_token } }),
    ),
  );
  assert.equal(results.filter((r) => r.status === 200).length, 1);
});

test('unknown and expired refresh tokens → 401', async () => {
  const unknown = await call(t.app, 'POST', '/users/token/refresh', {
    body: { refresh_token: 'x'.repeat(43) },
  });
  assert.deepEqual(unknown.body, {
    detail: 'Invalid or expired refresh token',
    code: 'INVALID_REFRESH_TOKEN',
  });
  const user = await registerUser(t.app, 'expired@example.com');
  await query(`UPDATE refresh_tokens SET expires_at = NOW() - INTERVAL '1 minute' WHERE user_id = $1`, [
    user.id,
  ]);
  const expired = await call(t.app, 'POST', '/users/token/refresh', {
    body: { refresh_token: user.refresh_token },
  });
  assert.equal(expired.status, 401);
  assert.equal(expired.body.code, 'INVALID_REFRESH_TOKEN');
});

test('logout revokes the given refresh token only; logout/all revokes all', async () => {
  const user = await registerUser(t.app, 'logout@example.com');
  const phone = await login(t.app, user.email, user.password);
  const out = await call(t.app, 'POST', '/users/logout', {
    token: user.access_token,
    body: { refresh_token: user.refresh_token },
  });
  assert.deepEqual(out.body, { status: 'logged_out' });
  assert.equal(
    (await call(t.app, 'POST', '/users/token/refresh', { body: { refresh_token: phone.refresh_token } }))
      .status,
    200,
  );

  const user2 = await registerUser(t.app, 'logoutall@example.com');
  const laptop = await login(t.app, user2.email, user2.password);
  assert.deepEqual((await call(t.app, 'POST', '/users/logout/all', { token: user2.access_token })).body, {
    status: 'logged_out',
  });
  for (const token of [user2.refresh_token, laptop.refresh_token]) {
    assert.equal(
      (await call(t.app, 'POST', '/users/token/refresh', { body: { refresh_token: token } })).status,
      401,
    );
  }
});

test("logout cannot revoke another user's refresh token", async () => {
  const victim = await registerUser(t.app, 'victim@example.com');
  const attacker = await registerUser(t.app, 'attacker@example.com');
  await call(t.app, 'POST', '/users/logout', {
    token: attacker.access_token,
    body: { refresh_token: victim.refresh_token },
  });
  assert.equal(
    (await call(t.app, 'POST', '/users/token/refresh', { body: { refresh_token: victim.refresh_token } }))
      .status,
    200,
  );
});

test("a deactivated user's tokens stop working at once; login says Inactive user", async () => {
  const user = await registerUser(t.app, 'inactive@example.com');
  assert.equal(
    (await call(t.app, 'PATCH', `/users/${user.id}`, { token: adminToken, body: { is_active: false } }))
      .status,
    200,
  );
  const me = await call(t.app, 'GET', '/users/me', { token: user.access_token });
  assert.deepEqual(me.body, { detail: 'Inactive user', code: 'USER_INACTIVE' });
  assert.equal(me.status, 400);
  assert.equal(
    (await call(t.app, 'POST', '/users/token/refresh', { body: { refresh_token: user.refresh_token } }))
      .status,
    401,
  );
  const again = await call(t.app, 'POST', '/users/token', {
    body: { email: user.email, password: user.password },
  });
  assert.equal(again.status, 400);
  assert.equal(again.body.detail, 'Inactive user');
});

test('bcrypt hashes from SelfDB 0.0.5 verify and are replaced by argon2id on login', async () => {
  for (const [prefix, email] of [
    ['$2a$', 'legacy-2a@example.com'],
    ['$2b$', 'legacy-2b@example.com'],
  ] as const) {
    const hash = bcrypt.hashSync('legacyPass1', 10).replace(/^\$2.\$/, prefix);
    await query(
      `INSERT INTO users (email, password, first_name, last_name) VALUES ($1, $2, 'Old', 'Timer')`,
      [email, hash],
    );
    assert.equal(
      (await call(t.app, 'POST', '/users/token', { body: { email, password: 'wrongPass1' } })).status,
      401,
    );
    await login(t.app, email, 'legacyPass1');
    const [row] = await query<{ password: string }>('SELECT password FROM users WHERE email = $1', [email]);
    assert.match(row!.password, /^\$argon2id\$/);
    await login(t.app, email, 'legacyPass1');
  }
});

test('forged, expired, foreign-key, alg:none, malformed and sessionless access tokens → 401 with WWW-Authenticate', async () => {
  const me = (await call(t.app, 'GET', '/users/me', { token: adminToken })).body;
  // Every token below names the admin's real, open session: only what the case says is wrong with it.
  const sid = String(decodeJwt(adminToken).sid);
  const admin = { sub: String(me.id), role: 'ADMIN' as const, sid };
  const key = createJwtKey(SECRET_KEY);
  const otherKey = createJwtKey('another-secret-key-of-sufficient-length-000');
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const future = now + 600;
  const signed = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
  const ended = await registerUser(t.app, 'ended-session@example.com');
  await call(t.app, 'POST', '/users/logout', { token: ended.access_token });
  const other = await registerUser(t.app, 'open-session@example.com');
  const tokens = {
    expired: await signAccessToken(key, admin, -60),
    otherKey: await signAccessToken(otherKey, admin, 600),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...admin, iat: now, exp: future })}.`,
    hs512: await new SignJWT({ role: 'ADMIN', sid })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(String(me.id))
      .setIssuedAt(now)
      .setExpirationTime(future)
      .sign(key),
    badRole: await signed({ ...admin, role: 'ROOT', iat: now, exp: future }),
    garbage: 'not.a.jwt',
    unknownUser: await signAccessToken(key, { ...admin, sub: '00000000-0000-4000-8000-000000000000' }, 600),
    noExp: await signed({ ...admin, iat: now }),
    noIat: await signed({ ...admin, exp: future }),
    tooLong: await signed({ ...admin, iat: now, exp: now + 15 * 60 + 1 }),
    centuryLong: await signed({ ...admin, iat: now, exp: now + 100 * 365 * 86_400 }),
    issuedInTheFuture: await signed({ ...admin, iat: now + 3600, exp: now + 3600 + 60 }),
    noSession: await signed({ sub: admin.sub, role: 'ADMIN', iat: now, exp: future }),
    unknownSession: await signAccessToken(
      key,
      { ...admin, sid: '00000000-0000-4000-8000-000000000000' },
      600,
    ),
    anotherUsersSession: await signAccessToken(
      key,
      { ...admin, sid: String(decodeJwt(other.access_token).sid) },
      600,
    ),
    endedSession: ended.access_token,
  };
  assert.equal(
    (await call(t.app, 'GET', '/users/count', { token: await signAccessToken(key, admin, 600) })).status,
    200,
  );
  for (const [name, token] of Object.entries(tokens)) {
    const response = await call(t.app, 'GET', '/users/count', { token });
    assert.equal(response.status, 401, name);
    assert.equal(response.headers['www-authenticate'], 'Bearer', name);
    assert.deepEqual(
      response.body,
      { detail: 'Could not validate credentials', code: 'INVALID_TOKEN' },
      name,
    );
  }
  const noBearer = await call(t.app, 'GET', '/users/me', {
    headers: { authorization: `Basic ${adminToken}` },
  });
  assert.equal(noBearer.status, 401);
});

test('a token names its role, but the role stored in the database decides', async () => {
  const user = await registerUser(t.app, 'rolecheck@example.com');
  const sid = String(decodeJwt(user.access_token).sid);
  const forged = await signAccessToken(createJwtKey(SECRET_KEY), { sub: user.id, role: 'ADMIN', sid }, 600);
  assert.equal((await call(t.app, 'GET', '/users/count', { token: forged })).status, 403);
});

test('login is rate limited per address and account: 429 with Retry-After, other accounts unaffected', async () => {
  const limited = await startTestApp({
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '3',
    RATE_LIMIT_LOGIN_PER_ADDRESS: '7',
  });
  try {
    const attempt = (email: string) =>
      call(limited.app, 'POST', '/users/token', { body: { email, password: 'wrong-password' } });
    for (let i = 0; i < 3; i++) assert.equal((await attempt(ADMIN.email)).status, 401);
    const blocked = await attempt(ADMIN.email);
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.code, 'RATE_LIMITED');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    const right = await call(limited.app, 'POST', '/users/token', {
      body: { email: ADMIN.email, password: ADMIN.password },
    });
    assert.equal(right.status, 429, 'even the right password waits');
    // Refused attempts count too: 5 hits from this address so far, 7 allowed in the window.
    for (let i = 0; i < 2; i++) assert.equal((await attempt('someone@example.com')).status, 401);
    assert.equal(
      (await attempt('third@example.com')).status,
      429,
      'the per-address limit applies across accounts',
    );
  } finally {
    await limited.close();
  }
});

test('refresh is rate limited per address', async () => {
  const limited = await startTestApp({ RATE_LIMIT_REFRESH_PER_ADDRESS: '2' });
  try {
    const attempt = () =>
      call(limited.app, 'POST', '/users/token/refresh', { body: { refresh_token: 'y'.repeat(43) } });
    assert.equal((await attempt()).status, 401);
    assert.equal((await attempt()).status, 401);
    const blocked = await attempt();
    assert.equal(blocked.status, 429);
    assert.ok(blocked.headers['retry-after']);
  } finally {
    await limited.close();
  }
});
