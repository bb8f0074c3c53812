// The dashboard's static server: the built app with an SPA fallback, /config.json made from the configuration,
// and /api/* proxied to the backend with the prefix stripped (WebSocket upgrades included), so the browser sees one
// origin exactly as behind production's Caddy. No framework: node:http, streams, a fixed set of content types.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import type { DashboardServerConfig } from './config.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Origins (http and ws) the page may connect to besides its own: the API's, when it is elsewhere. */
function connectSources(apiUrl: string): string {
  if (!/^https?:\/\//.test(apiUrl)) return "'self'";
  const origin = new URL(apiUrl).origin;
  return `'self' ${origin} ${origin.replace(/^http/, 'ws')}`;
}

/**
 * The page's CSP: only its own scripts and styles (the build emits no inline code), API calls and the realtime
 * socket to the API's origin, images also from data:/blob: (previews), nothing framed, no plugins.
 */
export function dashboardCsp(apiUrl: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connectSources(apiUrl)}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
]);

/** The path below /api, or null when the request is not for the API. `/api` alone is `/`. */
export function apiPath(url: string): string | null {
  if (url === '/api' || url.startsWith('/api?')) return `/${url.slice(4)}`;
  if (url.startsWith('/api/')) return url.slice(4);
  return null;
}

function forwardedHeaders(req: IncomingMessage, target: URL): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers.host = target.host;
  const address = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = req.headers['x-forwarded-for']
    ? `${String(req.headers['x-forwarded-for'])}, ${address}`
    : address;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  return headers;
}

function proxyHttp(req: IncomingMessage, res: ServerResponse, target: URL, path: string): void {
  const upstream = httpRequest(
    {
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || 80,
      method: req.method,
      path,
      headers: forwardedHeaders(req, target),
    },
    (answer) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (res.headersSent) return res.destroy();
    res.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
    res.end(
      JSON.stringify({
        detail: 'The SelfDB API is not reachable from the dashboard server',
        code: 'BAD_GATEWAY',
      }),
    );
  });
  req.pipe(upstream);
}

/** WebSocket upgrades (the realtime socket): the request head is rewritten, then bytes flow both ways untouched. */
function proxyUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, target: URL, path: string): void {
  const upstream: Socket = connect({
    host: target.hostname.replace(/^\[|\]$/g, ''),
    port: Number(target.port || 80),
  });
  const headers = forwardedHeaders(req, target);
  headers.connection = 'Upgrade';
  headers.upgrade = String(req.headers.upgrade ?? 'websocket');
  const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value])
      lines.push(`${name}: ${item.replace(/[\r\n]/g, '')}`);
  }
  upstream.once('connect', () => {
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  const close = () => {
    upstream.destroy();
    client.destroy();
  };
  upstream.on('error', () => {
    if (client.writable)
      client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    close();
  });
  client.on('error', close);
  upstream.on('close', close);
  client.on('close', close);
}

/** A file of the build, or null: only regular files below the root, no dot-segments or encoded tricks. */
async function findFile(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const path = normalize(join(root, decoded));
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  try {
    return (await stat(path)).isFile() ? path : null;
  } catch {
    return null;
  }
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  headers: Record<string, string>,
  cache: string,
): Promise<void> {
  const info = await stat(path);
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const common = { ...headers, 'cache-control': cache, etag };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...common,
    'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    'content-length': String(info.size),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(path)
    .on('error', () => res.destroy())
    .pipe(res);
}

/** Builds the server (does not listen). */
export function createDashboardServer(config: DashboardServerConfig): Server {
  const headers = securityHeaders(dashboardCsp(config.apiUrl));
  const runtimeConfig = JSON.stringify({ apiUrl: config.apiUrl, apiKey: config.apiKey });
  const root = normalize(config.root);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const api = apiPath(url);
    if (api !== null && config.backendUrl) return proxyHttp(req, res, config.backendUrl, api);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('Method Not Allowed\n');
    }
    const pathname = url.split('?')[0] ?? '/';
    if (pathname === '/health') {
      res.writeHead(200, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      });
      return void res.end('{"status":"ok"}');
    }
    if (pathname === '/config.json') {
      res.writeHead(200, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      });
      return void res.end(req.method === 'HEAD' ? undefined : runtimeConfig);
    }
    const file = pathname === '/' ? null : await findFile(root, pathname);
    if (file) {
      // Vite puts a content hash in every name under assets/: cached for a year. Anything else is revalidated.
      const cache = pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return sendFile(req, res, file, headers, cache);
    }
    // A missing asset or file with an extension is a 404; any other path is a page of the app (SPA fallback).
    if (pathname.startsWith('/assets/') || extname(pathname) !== '') {
      res.writeHead(404, {
        ...headers,
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-cache',
      });
      return void res.end('Not Found\n');
    }
    const index = await findFile(root, '/index.html');
    if (!index) {
      res.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('The dashboard is not built: run npm run build -w frontend\n');
    }
    return sendFile(req, res, index, headers, 'no-cache');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const api = apiPath(req.url ?? '/');
    if (api === null || !config.backendUrl) return socket.destroy();
    proxyUpgrade(req, socket, head, config.backendUrl, api);
  });
  return server;
}
