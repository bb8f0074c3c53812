import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, call, login, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

test('admin logs in and reads /users/me', async () => {
  const tokens = await login(t.app, ADMIN.email, ADMIN.password);
  const me = await call(t.app, 'GET', '/users/me', { token: tokens.access_token });
  assert.equal(me.status, 200);
  assert.equal(me.body.email, ADMIN.email);
  assert.equal(me.body.role, 'ADMIN');
});
