// Cross-cutting behaviour: the API key, CORS, health, docs, and what gets logged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, API_KEY, call, login, startTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
const logLines: string[] = [];
before(async () => {
  t = await startTestApp(
    { LOG_LEVEL: 'info', CORS_ORIGINS: 'http://app.example.com' },
    { logStream: { write: (line) => void logLines.push(line) } },
  );
});
after(() => t.close());

test('API key: missing → 406, wrong → 401, right → passes; compared in full', async () => {
  const missing = await call(t.app, 'GET', '/system/status', { apiKey: null });
  assert.equal(missing.status, 406);
  assert.deepEqual(missing.body, { detail: 'Missing required header: X-API-Key', code: 'API_KEY_MISSING' });
  for (const wrong of ['wrong', `${API_KEY}x`, API_KEY.slice(0, -1), API_KEY.toUpperCase()]) {
    const response = await call(t.app, 'GET', '/system/status', { apiKey: wrong });
    assert.equal(response.status, 401, wrong);
    assert.deepEqual(response.body, { detail: 'Invalid API key', code: 'API_KEY_INVALID' });
  }
  assert.equal((await call(t.app, 'GET', '/system/status')).status, 200);
  assert.equal((await call(t.app, 'GET', '/nope', { apiKey: null })).status, 406, 'checked before routing');
});

test('/health, /docs and /openapi.json answer without a key', async () => {
  const health = await call(t.app, 'GET', '/health', { apiKey: null });
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { status: 'healthy', service: 'backend', database: 'connected' });
  const docs = await t.app.inject({ method: 'GET', url: '/docs' });
  assert.equal(docs.statusCode, 200);
  assert.match(docs.body, /swagger-ui/i);
  const spec = await call(t.app, 'GET', '/openapi.json', { apiKey: null });
  assert.equal(spec.status, 200);
  assert.equal((spec.body as unknown as { openapi: string }).openapi, '3.1.0');
});

test('/health answers 503 when the database is unreachable', async () => {
  const broken = await startTestApp({ DATABASE_URL: 'postgresql://postgres:x@127.0.0.1:1/none' });
  try {
    const response = await call(broken.app, 'GET', '/health', { apiKey: null });
    assert.equal(response.status, 503);
    assert.equal(response.body.status, 'unhealthy');
    const login = await call(broken.app, 'POST', '/users/token', {
      body: { email: ADMIN.email, password: ADMIN.password },
    });
    assert.equal(login.status, 503);
    assert.equal(login.body.code, 'DATABASE_UNAVAILABLE');
  } finally {
    await broken.close();
  }
});

test('CORS: allowed origins get the headers, preflight needs no API key; others get none', async () => {
  const preflight = await t.app.inject({
    method: 'OPTIONS',
    url: '/users/me',
    headers: {
      origin: 'http://app.example.com',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'x-api-key,authorization',
    },
  });
  assert.equal(preflight.statusCode, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], 'http://app.example.com');
  assert.equal(preflight.headers['access-control-allow-credentials'], 'true');
  const foreign = await call(t.app, 'GET', '/system/status', {
    headers: { origin: 'http://evil.example.com' },
  });
  assert.equal(foreign.headers['access-control-allow-origin'], undefined);
});

test('system status reports the real version', async () => {
  const status = await call(t.app, 'GET', '/system/status');
  assert.equal(status.status, 200);
  assert.equal(status.body.version, '0.1.0');
  assert.equal(typeof status.body.initialized, 'boolean');
});

test('logs record requests but never a password, token or API key', async () => {
  const tokens = await login(t.app, ADMIN.email, ADMIN.password);
  await call(t.app, 'GET', '/users/me', { token: tokens.access_token });
  await call(t.app, 'POST', '/users/token/refresh', { body: { refresh_token: tokens.refresh_token } });
  await call(t.app, 'POST', '/users/token', { body: { email: ADMIN.email, password: 'WrongSecret99' } });
  const log = logLines.join('');
  assert.match(log, /"url":"\/users\/me"/, 'requests are logged');
  for (const secret of [
    ADMIN.password,
    'WrongSecret99',
    tokens.access_token,
    tokens.refresh_token,
    API_KEY,
  ]) {
    assert.equal(log.includes(secret), false, `log leaks ${secret.slice(0, 6)}…`);
  }
});
