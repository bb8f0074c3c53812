// caddy/Caddyfile, production's front door. First statically: `caddy validate` and `caddy adapt` with the variables
// ./deploy.sh sets (localhost with Caddy's internal CA, a real domain with Let's Encrypt, the plain-HTTP fallback),
// and the routes the adapted JSON must hold. Then for real: a native stack (./selfdb.sh start) with real Caddy in
// front (scripts/native/caddy.sh, as ./deploy.sh --native runs it), on free ports of 127.0.0.1, over HTTPS with
// the internal CA: /api/health, the dashboard with its SPA fallback, /caddy-health, the realtime WebSocket, a
// streamed upload and download. Skipped, saying why, where caddy is not installed (apt-get install caddy).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { fetchInsecure, loopbackLookup, waitForStatus } from './lib/https-client.ts';
import { type NativeStack, portVariables, startNativeStack } from './lib/native-stack.ts';
import { freePort } from './lib/processes.ts';
import { runScript } from './lib/run-script.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const caddyfile = join(root, 'caddy/Caddyfile');
const caddyMissing = spawnSync('caddy', ['version']).status !== 0;
const skip = caddyMissing
  ? 'caddy is not installed (apt-get install -y caddy): Caddyfile checks skipped'
  : false;

/** `caddy adapt` of the Caddyfile with `env` (and nothing else from the caller's CADDY_* variables). */
function adapt(env: Record<string, string>): Record<string, unknown> {
  const result = spawnSync('caddy', ['adapt', '--adapter', 'caddyfile', '--config', caddyfile], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function validate(env: Record<string, string>) {
  return spawnSync('caddy', ['validate', '--adapter', 'caddyfile', '--config', caddyfile], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}

/** Every object in a JSON tree (handlers, matchers, policies), to find them wherever Caddy nests them. */
function objectsIn(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap(objectsIn);
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return [object, ...Object.values(object).flatMap(objectsIn)];
  }
  return [];
}

/** The routes of the site matching `host`, and their handlers, flattened. */
function siteRoutes(config: Record<string, unknown>, host: string): Record<string, unknown>[] {
  const routes = objectsIn(config).filter(
    (object) =>
      Array.isArray(object.match) &&
      objectsIn(object.match).some((m) => Array.isArray(m.host) && (m.host as string[]).includes(host)),
  );
  assert.equal(routes.length, 1, `one site for ${host}`);
  return objectsIn(routes[0]!.handle);
}

/** The subroute whose matcher has exactly this path list. */
function routeForPath(handlers: Record<string, unknown>[], path: string): Record<string, unknown>[] {
  const route = handlers.find(
    (object) =>
      Array.isArray(object.match) &&
      objectsIn(object.match).some((m) => Array.isArray(m.path) && (m.path as string[]).includes(path)),
  );
  assert.ok(route, `a route for ${path}`);
  return objectsIn(route.handle);
}

const upstreamsOf = (handlers: Record<string, unknown>[]) =>
  handlers
    .filter((h) => h.handler === 'reverse_proxy')
    .flatMap((h) => (h.upstreams as { dial: string }[]).map((u) => u.dial));

describe('caddy/Caddyfile (static)', { skip }, () => {
  const local = {
    FRONTEND_DOMAIN: 'localhost',
    BACKEND_DOMAIN: 'api.localhost',
    CADDY_TLS: 'internal',
    CADDY_BACKEND_UPSTREAM: 'backend:8000',
    CADDY_REALTIME_UPSTREAM: 'realtime:4000',
    CADDY_FRONTEND_UPSTREAM: 'frontend:3000',
  };

  test('validates with the defaults, localhost, a real domain and the plain-HTTP fallback', () => {
    const cases: Record<string, string>[] = [
      {},
      local,
      {
        FRONTEND_DOMAIN: 'admin.example.org',
        BACKEND_DOMAIN: 'api.example.org',
        CADDY_TLS: 'ops@example.org',
      },
      { FRONTEND_DOMAIN: 'admin.example.org', BACKEND_DOMAIN: 'api.example.org', CADDY_SCHEME: 'http' },
      { FRONTEND_DOMAIN: '203.0.113.7', BACKEND_DOMAIN: 'api.localhost' },
    ];
    for (const env of cases) {
      const result = validate(env);
      assert.equal(result.status, 0, `${JSON.stringify(env)}: ${result.stderr}`);
    }
    assert.equal(caddyMissing, false);
  });

  test('a broken value is refused by caddy validate (the check can fail)', () => {
    const result = validate({ CADDY_HTTPS_PORT: 'not-a-port' });
    assert.notEqual(result.status, 0);
  });

  test('routes: /api/realtime/socket to realtime, /api/* to the backend (prefix stripped), the rest to the dashboard', () => {
    const config = adapt(local);
    const site = siteRoutes(config, 'localhost');
    const realtime = routeForPath(site, '/api/realtime/socket*');
    assert.deepEqual(upstreamsOf(realtime), ['realtime:4000']);
    assert.ok(realtime.some((h) => h.handler === 'rewrite' && h.strip_path_prefix === '/api'));
    const api = routeForPath(site, '/api/*');
    assert.deepEqual(upstreamsOf(api), ['backend:8000']);
    assert.ok(api.some((h) => h.handler === 'rewrite' && h.strip_path_prefix === '/api'));
    const health = routeForPath(site, '/caddy-health');
    assert.ok(health.some((h) => h.handler === 'static_response' && h.status_code === 200));
    // Uploads and downloads stream: no request or response buffering, no body size limit, immediate flushes.
    for (const proxy of [...realtime, ...api].filter((h) => h.handler === 'reverse_proxy')) {
      assert.equal(proxy.flush_interval, -1);
      assert.equal(proxy.request_buffers, undefined);
      assert.equal(proxy.response_buffers, undefined);
    }
    assert.ok(!objectsIn(config).some((o) => o.handler === 'request_body'), 'no body size limit');
    // Compression only for the dashboard: never re-encoding API downloads.
    assert.ok(!api.some((h) => h.handler === 'encode'));
    assert.ok(site.some((h) => h.handler === 'encode'));
    assert.ok(upstreamsOf(site).includes('frontend:3000'));
    const backendSite = siteRoutes(config, 'api.localhost');
    assert.deepEqual(upstreamsOf(routeForPath(backendSite, '/realtime/socket*')), ['realtime:4000']);
    assert.ok(upstreamsOf(backendSite).includes('backend:8000'));
    const headers = objectsIn(config).find((o) => o.handler === 'headers');
    const set = (headers?.response as { set: Record<string, string[]> }).set;
    assert.deepEqual(set['X-Content-Type-Options'], ['nosniff']);
    assert.match(set['Strict-Transport-Security']?.[0] ?? '', /max-age=\d+/);
    // Access logs, one per site.
    const logs = (config.logging as { logs: Record<string, { include?: string[] }> }).logs;
    assert.ok(
      Object.values(logs).filter((log) => log.include?.[0]?.startsWith('http.log.access')).length >= 2,
    );
  });

  test('certificates: the internal CA for localhost and IPs, Let’s Encrypt with the e-mail for a real domain', () => {
    const policies = (config: Record<string, unknown>) =>
      (
        config.apps as {
          tls?: {
            automation: { policies: { subjects: string[]; issuers: { module: string; email?: string }[] }[] };
          };
        }
      ).tls?.automation.policies ?? [];
    const internal = policies(adapt(local));
    assert.ok(internal.some((p) => p.subjects.includes('localhost') && p.issuers[0]?.module === 'internal'));
    const real = policies(
      adapt({
        FRONTEND_DOMAIN: 'admin.example.org',
        BACKEND_DOMAIN: 'api.example.org',
        CADDY_TLS: 'ops@example.org',
      }),
    );
    const acme = real.find((p) => p.subjects.includes('admin.example.org'));
    assert.ok(
      acme?.issuers.some((i) => i.module === 'acme' && i.email === 'ops@example.org'),
      JSON.stringify(real),
    );
    // The plain-HTTP fallback (a domain that does not resolve yet) asks no CA for anything.
    const plain = adapt({
      FRONTEND_DOMAIN: 'admin.example.org',
      BACKEND_DOMAIN: 'api.example.org',
      CADDY_SCHEME: 'http',
    });
    assert.deepEqual(policies(plain), []);
    const servers = Object.values(
      (plain.apps as { http: { servers: Record<string, { listen: string[] }> } }).http.servers,
    );
    assert.deepEqual(servers.flatMap((s) => s.listen).sort(), ['0.0.0.0:80', '[::]:80']);
    const bound = adapt({ ...local, CADDY_BIND: '127.0.0.1', CADDY_HTTPS_PORT: '21443' });
    const listens = Object.values(
      (bound.apps as { http: { servers: Record<string, { listen: string[] }> } }).http.servers,
    ).flatMap((s) => s.listen);
    assert.ok(listens.includes('127.0.0.1:21443'), listens.join(' '));
  });
});

describe('Caddy in front of a native stack (HTTPS, tls internal)', { skip }, () => {
  let stack: NativeStack;
  let env: NodeJS.ProcessEnv = {};
  let base = '';
  let caddyStarted = false;

  before(async () => {
    stack = await startNativeStack();
    const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    env = {
      ...process.env,
      SELFDB_MODE: 'native',
      SELFDB_HOME: stack.home,
      SELFDB_ENV_FILE: join(stack.home, 'env'),
      ...portVariables(stack.ports),
      FRONTEND_DOMAIN: 'localhost',
      BACKEND_DOMAIN: 'api.localhost',
      CADDY_TLS: 'internal',
      CADDY_HTTP_PORT: String(httpPort),
      CADDY_HTTPS_PORT: String(httpsPort),
      CADDY_BIND: '127.0.0.1',
      CADDY_ADMIN: `127.0.0.1:${adminPort}`,
    };
    const started = await runScript('scripts/native/caddy.sh', ['start'], env, 90_000);
    assert.equal(started.code, 0, started.stdout + started.stderr);
    caddyStarted = true;
    base = `https://localhost:${httpsPort}`;
  });

  after(async () => {
    if (caddyStarted) await runScript('scripts/native/caddy.sh', ['stop'], env, 30_000);
    await stack?.stop();
  });

  test('/caddy-health, /api/health and the dashboard with its SPA fallback, over HTTPS', async () => {
    const health = await waitForStatus(`${base}/caddy-health`);
    assert.equal(health.body.toString(), 'OK');
    assert.equal(health.headers['x-content-type-options'], 'nosniff');
    assert.match(String(health.headers['strict-transport-security']), /max-age/);
    const api = await fetchInsecure(`${base}/api/health`);
    assert.equal(api.status, 200);
    assert.equal((JSON.parse(api.body.toString()) as { status: string }).status, 'healthy');
    for (const path of ['/', '/tables/123', '/users?search=x']) {
      const page = await fetchInsecure(`${base}${path}`, { headers: { 'accept-encoding': 'identity' } });
      assert.equal(page.status, 200, path);
      assert.match(page.body.toString(), /<div id="root">/, path);
      assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    }
    const config = await fetchInsecure(`${base}/config.json`);
    assert.deepEqual(JSON.parse(config.body.toString()), { apiUrl: '/api', apiKey: stack.values.API_KEY });
    const compressed = await fetchInsecure(`${base}/`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(compressed.headers['content-encoding'], 'gzip');
    // The backend's own domain serves the API without the prefix.
    const direct = await fetchInsecure(`https://api.localhost:${new URL(base).port}/health`);
    assert.equal(direct.status, 200);
    // Plain HTTP redirects to HTTPS.
    const redirect = await fetchInsecure(`http://localhost:${env.CADDY_HTTP_PORT}/api/health`);
    assert.equal(redirect.status, 308);
    assert.match(String(redirect.headers.location), /^https:\/\/localhost/);
  });

  test('a realtime WebSocket upgrades through /api/realtime/socket and answers a heartbeat', async () => {
    const url = `${base.replace('https', 'wss')}/api/realtime/socket/websocket?vsn=2.0.0&X-API-Key=${encodeURIComponent(stack.values.API_KEY ?? '')}`;
    const socket = new WebSocket(url, { rejectUnauthorized: false, lookup: loopbackLookup });
    try {
      await new Promise((done, fail) => {
        socket.once('open', done);
        socket.once('error', fail);
      });
      const reply = new Promise((done) => socket.once('message', (data) => done(JSON.parse(String(data)))));
      socket.send(JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}]));
      assert.deepEqual(await reply, [null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    } finally {
      socket.terminate();
    }
    // A wrong API key is refused by the realtime service itself.
    const refused = new WebSocket(url.replace(/X-API-Key=[^&]*/, 'X-API-Key=wrong'), {
      rejectUnauthorized: false,
      lookup: loopbackLookup,
    });
    const status = await new Promise<number>((done) => {
      refused.once('unexpected-response', (_req, res) => done(res.statusCode ?? 0));
      refused.once('open', () => done(101));
      refused.once('error', () => done(0));
    });
    refused.terminate();
    assert.equal(status, 401);
  });

  test('a 24 MB upload streams through Caddy (chunked) and downloads byte for byte', async () => {
    const key = { 'x-api-key': stack.values.API_KEY ?? '', 'content-type': 'application/json' };
    const login = await fetchInsecure(`${base}/api/users/token`, {
      method: 'POST',
      headers: key,
      body: JSON.stringify({ email: stack.values.ADMIN_EMAIL, password: stack.values.ADMIN_PASSWORD }),
    });
    assert.equal(login.status, 200, login.body.toString());
    const token = (JSON.parse(login.body.toString()) as { access_token: string }).access_token;
    const auth = { ...key, authorization: `Bearer ${token}` };
    const bucket = await fetchInsecure(`${base}/api/storage/buckets/`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'caddy-bucket' }),
    });
    assert.equal(bucket.status, 201, bucket.body.toString());
    const bucketId = (JSON.parse(bucket.body.toString()) as { id: string }).id;
    const chunks = Array.from({ length: 24 }, () => randomBytes(1024 * 1024));
    const expected = createHash('sha256');
    for (const chunk of chunks) expected.update(chunk);
    const uploaded = await fetchInsecure(
      `${base}/api/storage/files/upload?bucket_id=${bucketId}&filename=big.bin`,
      {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: Readable.from(chunks),
      },
      120_000,
    );
    assert.equal(uploaded.status, 201, uploaded.body.toString());
    const downloaded = await fetchInsecure(
      `${base}/api/storage/files/download/caddy-bucket/big.bin`,
      { headers: { ...auth, 'accept-encoding': 'gzip' } },
      120_000,
    );
    assert.equal(downloaded.status, 200);
    assert.equal(downloaded.headers['content-encoding'], undefined, 'API downloads are not re-encoded');
    assert.equal(downloaded.body.length, 24 * 1024 * 1024);
    assert.equal(createHash('sha256').update(downloaded.body).digest('hex'), expected.digest('hex'));
    assert.ok(existsSync(join(stack.home, 'storage/caddy-bucket/big.bin')));
  });

  test('a port held by another server: start stops with the reason and what to do', async () => {
    const blocker = createServer((socket) => socket.destroy());
    const port = await freePort();
    await new Promise<void>((done) => blocker.listen(port, '127.0.0.1', done));
    const otherHome = mkdtempSync(join(tmpdir(), 'selfdb-caddy-busy-'));
    try {
      const result = await runScript(
        'scripts/native/caddy.sh',
        ['start'],
        {
          ...env,
          SELFDB_HOME: otherHome,
          CADDY_HTTPS_PORT: String(port),
          CADDY_ADMIN: `127.0.0.1:${await freePort()}`,
        },
        60_000,
      );
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stderr, /Caddy could not bind its ports .*another web server runs there/);
    } finally {
      await new Promise((done) => blocker.close(done));
      rmSync(otherHome, { recursive: true, force: true });
    }
  });

  test('status reports Caddy running; stop ends it', async () => {
    const status = await runScript('scripts/native/caddy.sh', ['status'], env);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /^caddy\s+running\s+\d+/m);
    const stopped = await runScript('scripts/native/caddy.sh', ['stop'], env, 30_000);
    assert.equal(stopped.code, 0);
    caddyStarted = false;
    assert.equal((await runScript('scripts/native/caddy.sh', ['status'], env)).code, 3);
    await assert.rejects(fetchInsecure(`${base}/caddy-health`, {}, 3_000));
  });
});
