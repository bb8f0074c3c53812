// The dashboard's static server over real sockets: files, SPA fallback, caching, CSP, hostile paths, the /api proxy
// (HTTP and WebSocket, prefix stripped) and its answer when the backend is down.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { apiPath, createDashboardServer, dashboardCsp } from './app.ts';
import { loadDashboardConfig } from './config.ts';

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
const close = (server: Server) => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
};

describe('dashboard server', () => {
  const parent = mkdtempSync(join(tmpdir(), 'selfdb-dashboard-'));
  const root = join(parent, 'dist');
  let base: string;
  let server: Server;
  let upstream: Server;
  let upstreamWs: WebSocketServer;
  const seen: Array<{ method: string; url: string; body: string; host: string; apiKey: string }> = [];

  before(async () => {
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(root, 'favicon.svg'), '<svg/>');
    writeFileSync(join(parent, 'secret.txt'), 'outside the root');
    upstream = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          body,
          host: req.headers.host ?? '',
          apiKey: String(req.headers['x-api-key']),
        });
        res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end('{"ok":true}');
      });
    });
    upstreamWs = new WebSocketServer({ server: upstream });
    upstreamWs.on('connection', (socket, request) => {
      socket.send(`path ${request.url}`);
      socket.on('message', (data) => socket.send(`echo ${String(data)}`));
    });
    const upstreamPort = await listen(upstream);
    server = createDashboardServer({
      host: '127.0.0.1',
      port: 0,
      root,
      apiUrl: '/api',
      apiKey: 'the-key',
      backendUrl: new URL(`http://127.0.0.1:${upstreamPort}`),
    });
    base = `http://127.0.0.1:${await listen(server)}`;
  });

  after(async () => {
    await close(server);
    upstreamWs.close();
    await close(upstream);
    rmSync(parent, { recursive: true, force: true });
  });

  it('serves index.html for app routes and files with their type and caching', async () => {
    for (const path of ['/', '/tables/123', '/users?search=x']) {
      const page = await fetch(base + path);
      assert.equal(page.status, 200, path);
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(page.headers.get('cache-control'), 'no-cache');
      assert.equal(page.headers.get('content-security-policy'), dashboardCsp('/api'));
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      assert.match(await page.text(), /id="root"/);
    }
    const asset = await fetch(`${base}/assets/index-abc123.js`);
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const etag = asset.headers.get('etag') ?? '';
    assert.equal(
      (await fetch(`${base}/assets/index-abc123.js`, { headers: { 'if-none-match': etag } })).status,
      304,
    );
    assert.equal((await fetch(`${base}/favicon.svg`)).headers.get('content-type'), 'image/svg+xml');
    const head = await fetch(`${base}/favicon.svg`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('serves /config.json from its configuration, never cached', async () => {
    const config = await fetch(`${base}/config.json`);
    assert.equal(config.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await config.json(), { apiUrl: '/api', apiKey: 'the-key' });
  });

  it('never serves a file outside the build; a missing asset is 404, not the app', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/a%00b',
      '/%E0%A4%A',
    ]) {
      const response = await fetch(base + path);
      const body = await response.text();
      assert.ok(!body.includes('outside the root'), path);
    }
    assert.equal((await fetch(`${base}/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${base}/missing.png`)).status, 404);
    const post = await fetch(`${base}/tables`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('proxies /api/* to the backend with the prefix stripped, method, headers and body included', async () => {
    const response = await fetch(`${base}/api/users/?search=a`, {
      method: 'POST',
      headers: { 'x-api-key': 'k1', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-upstream'), 'yes');
    assert.deepEqual(await response.json(), { ok: true });
    const last = seen.at(-1);
    assert.equal(last?.method, 'POST');
    assert.equal(last?.url, '/users/?search=a');
    assert.equal(last?.body, '{"a":1}');
    assert.equal(last?.apiKey, 'k1');
    assert.equal(apiPath('/api'), '/');
    assert.equal(apiPath('/api?x=1'), '/?x=1');
    assert.equal(apiPath('/apix/users'), null);
    assert.equal(apiPath('/app/api/x'), null);
  });

  it('proxies WebSocket upgrades under /api (the realtime socket)', async () => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/api/realtime/socket/websocket?vsn=2.0.0`);
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        messages.push(String(data));
        if (messages.length === 1) socket.send('hello');
        if (messages.length === 2) resolve();
      });
      socket.on('error', reject);
    });
    socket.close();
    assert.deepEqual(messages, ['path /realtime/socket/websocket?vsn=2.0.0', 'echo hello']);
  });

  it('answers 502 {detail, code} when the backend is down', async () => {
    const down = createDashboardServer({
      host: '127.0.0.1',
      port: 0,
      root,
      apiUrl: '/api',
      apiKey: 'k',
      backendUrl: new URL('http://127.0.0.1:1'),
    });
    const port = await listen(down);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/health`);
      assert.equal(response.status, 502);
      assert.equal(((await response.json()) as { code: string }).code, 'BAD_GATEWAY');
    } finally {
      await close(down);
    }
  });
});

describe('dashboard server configuration', () => {
  it('reads its variables, refusing a bad backend URL or API URL by name', () => {
    const config = loadDashboardConfig({ API_KEY: 'k' }, '/srv');
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.apiUrl, '/api');
    assert.equal(config.backendUrl?.toString(), 'http://127.0.0.1:8000/');
    assert.equal(
      loadDashboardConfig({ API_KEY: 'k', FRONTEND_BACKEND_URL: 'none' }, '/srv').backendUrl,
      null,
    );
    assert.throws(() => loadDashboardConfig({}, '/srv'), /API_KEY/);
    assert.throws(
      () => loadDashboardConfig({ API_KEY: 'k', FRONTEND_BACKEND_URL: 'https://x' }, '/srv'),
      /FRONTEND_BACKEND_URL/,
    );
    assert.throws(
      () => loadDashboardConfig({ API_KEY: 'k', FRONTEND_API_URL: 'javascript:x' }, '/srv'),
      /FRONTEND_API_URL/,
    );
  });

  it('lets the page connect to an API on another origin, over HTTP and WebSocket', () => {
    assert.match(
      dashboardCsp('https://api.example.com/v1'),
      /connect-src 'self' https:\/\/api\.example\.com wss:\/\/api\.example\.com;/,
    );
    assert.match(dashboardCsp('/api'), /connect-src 'self';/);
  });
});
