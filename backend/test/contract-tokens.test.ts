// Issue 17, part 4: a bearer token is never silently ignored. On every route where a token is optional (public
// tables and rows, public buckets and files, sign-up, backup progress and restore), a forged, expired, deleted-user,
// ended-session or malformed token answers as on every other route (401 INVALID_TOKEN, 400 USER_INACTIVE for a
// deactivated user), never served as anonymous; no token at all is still anonymous.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createJwtKey, signAccessToken } from '@selfdb/common';
import { decodeJwt } from 'jose';
import { ADMIN, call, login, registerUser, SECRET_KEY } from './helpers.ts';
import { createBucket, download, type StorageStack, startStorageStack, upload } from './storage-helpers.ts';

let s: StorageStack;
let adminToken: string;
let bucketId: string;
let fileId: string;
let tableId: string;
const bad: Record<string, { token: string; status: number; code: string }> = {};

before(async () => {
  s = await startStorageStack();
  const app = s.t.app;
  adminToken = (await login(app, ADMIN.email, ADMIN.password)).access_token;
  bucketId = await createBucket(app, adminToken, 'public-things', { public: true });
  const uploaded = await upload(app, bucketId, 'hello.txt', 'hello', { token: adminToken });
  fileId = String(uploaded.body.file_id);
  const table = await call(app, 'POST', '/tables/', {
    token: adminToken,
    body: { name: 'notes', public: true, table_schema: { body: 'text' } },
  });
  assert.equal(table.status, 201, JSON.stringify(table.body));
  tableId = String(table.body.id);

  const key = createJwtKey(SECRET_KEY);
  const gone = await registerUser(app, 'gone@example.com');
  const goneToken = gone.access_token;
  const deleted = await call(app, 'DELETE', `/users/${gone.id}`, { token: adminToken });
  assert.ok(deleted.status < 300, JSON.stringify(deleted.body));
  const inactive = await registerUser(app, 'inactive@example.com');
  const patched = await call(app, 'PATCH', `/users/${inactive.id}`, {
    token: adminToken,
    body: { is_active: false },
  });
  assert.equal(patched.status, 200);
  const ended = await registerUser(app, 'ended@example.com');
  await call(app, 'POST', '/users/logout', { token: ended.access_token });
  const sid = String(decodeJwt(adminToken).sid);
  const me = (await call(app, 'GET', '/users/me', { token: adminToken })).body;
  const claims = { sub: String(me.id), role: 'ADMIN' as const, sid };
  const invalid = { status: 401, code: 'INVALID_TOKEN' };
  bad.forged = {
    token: await signAccessToken(createJwtKey('another-secret-key-0123456789abcdef'), claims, 600),
    ...invalid,
  };
  bad.expired = { token: await signAccessToken(key, claims, -60), ...invalid };
  bad.garbage = { token: 'not.a.jwt', ...invalid };
  bad.deletedUser = { token: goneToken, ...invalid };
  bad.endedSession = { token: ended.access_token, ...invalid };
  bad.inactiveUser = { token: inactive.access_token, status: 400, code: 'USER_INACTIVE' };
});
after(() => s?.close());

/** The optional-token routes, one per class: [method, url, body?]. Each answers 2xx to an anonymous caller. */
const routes = (): [string, string, unknown?][] => [
  ['GET', '/tables/'],
  ['GET', '/tables/count'],
  ['GET', `/tables/${tableId}`],
  ['GET', `/tables/${tableId}/data`],
  ['GET', '/storage/buckets/'],
  ['GET', '/storage/buckets/count'],
  ['GET', `/storage/buckets/${bucketId}`],
  ['GET', `/storage/files/?bucket_id=${bucketId}`],
  ['GET', `/storage/files/count?bucket_id=${bucketId}`],
  ['GET', '/storage/files/total-count'],
  ['GET', '/storage/files/stats'],
  ['GET', `/storage/files/${fileId}`],
  ['GET', '/storage/files/download/public-things/hello.txt'],
];

test('every optional-token route serves an anonymous caller (no Authorization header)', async () => {
  for (const [method, url] of routes()) {
    const response = await call(s.t.app, method, url);
    assert.ok(response.status < 300, `${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
  }
});

test('a bad token on an optional-token route is refused with the usual body, never served as anonymous', async () => {
  for (const [name, { token, status, code }] of Object.entries(bad)) {
    for (const [method, url] of routes()) {
      const response = await call(s.t.app, method, url, { token });
      const where = `${name}: ${method} ${url}`;
      assert.equal(response.status, status, `${where} → ${response.status} ${JSON.stringify(response.body)}`);
      assert.equal(response.body.code, code, where);
      assert.equal(typeof response.body.detail, 'string', where);
      if (status === 401) assert.equal(response.headers['www-authenticate'], 'Bearer', where);
    }
  }
});

test('a download with a bad token is refused before any byte (HEAD too)', async () => {
  for (const method of ['GET', 'HEAD'] as const) {
    const response = await download(s.t.app, '/storage/files/download/public-things/hello.txt', {
      method,
      token: bad.forged!.token,
    });
    assert.equal(response.status, 401, method);
    assert.notEqual(response.bytes.toString(), 'hello');
  }
});

test('inserting a row into a public table with a bad token is 401, and nothing is written', async () => {
  const response = await call(s.t.app, 'POST', `/tables/${tableId}/data`, {
    token: bad.expired!.token,
    body: { body: 'sneaky' },
  });
  assert.equal(response.status, 401);
  assert.equal(response.body.code, 'INVALID_TOKEN');
  const rows = await call(s.t.app, 'GET', `/tables/${tableId}/data`);
  assert.equal(rows.body.total, 0);
});

test('a malformed bearer header is a bad token; another scheme (a proxy’s Basic) is not ours and stays anonymous', async () => {
  for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'bearer\tx y']) {
    const response = await call(s.t.app, 'GET', '/tables/', { headers: { authorization } });
    assert.equal(response.status, 401, JSON.stringify(authorization));
    assert.equal(response.body.code, 'INVALID_TOKEN');
  }
  const basic = await call(s.t.app, 'GET', '/tables/', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
  assert.equal(basic.status, 200);
});

test('sign-up with a bad token is refused, not taken as anonymous sign-up', async () => {
  const response = await call(s.t.app, 'POST', '/users/', {
    token: bad.forged!.token,
    body: { email: 'new@example.com', password: 'Passw0rd!', firstName: 'New', lastName: 'User' },
  });
  assert.equal(response.status, 401);
  assert.equal(response.body.code, 'INVALID_TOKEN');
  const login = await call(s.t.app, 'POST', '/users/token', {
    body: { email: 'new@example.com', password: 'Passw0rd!' },
  });
  assert.equal(login.status, 401, 'no user was created');
});

test('GET /backups/progress uses the codes of every admin route', async () => {
  const user = await registerUser(s.t.app, 'progress-user@example.com');
  const cases: [string | undefined, number, string | null][] = [
    [undefined, 401, 'NOT_AUTHENTICATED'],
    [bad.forged!.token, 401, 'INVALID_TOKEN'],
    [bad.expired!.token, 401, 'INVALID_TOKEN'],
    [bad.deletedUser!.token, 401, 'INVALID_TOKEN'],
    [bad.inactiveUser!.token, 400, 'USER_INACTIVE'],
    [user.access_token, 403, 'FORBIDDEN'],
    [adminToken, 200, null],
  ];
  for (const [token, status, code] of cases) {
    const response = await call(s.t.app, 'GET', '/backups/progress', { token });
    assert.equal(response.status, status, `${code}: ${JSON.stringify(response.body)}`);
    if (code) assert.equal(response.body.code, code);
    // The same as on another admin-only route.
    const other = await call(s.t.app, 'GET', '/backups', { token });
    assert.equal(other.status, status, `GET /backups ${code}`);
    if (code) assert.equal(other.body.code, code);
  }
});
