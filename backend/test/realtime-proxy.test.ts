// The backend's realtime proxy: where it connects (REALTIME_URL), checked at start-up and reached over IPv6.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { ConfigError } from '@selfdb/common';
import { loadConfig } from '../src/config.ts';
import { realtimeTarget } from '../src/routes/realtime/proxy.ts';
import { API_KEY, startTestApp, testEnv } from './helpers.ts';

const NO_DB = {
  name: 'none',
  directUrl: 'postgresql://127.0.0.1:1/none',
  pooledUrl: 'postgresql://127.0.0.1:1/none',
};
const configWith = (realtimeUrl: string) => loadConfig(testEnv(NO_DB, { REALTIME_URL: realtimeUrl }));

test('REALTIME_URL must be an http:// URL: the tunnel is plain TCP', () => {
  for (const url of [
    'https://realtime.example.com',
    'ws://127.0.0.1:4000',
    'wss://x',
    'realtime:4000',
    'nope',
  ]) {
    assert.throws(
      () => configWith(url),
      (err: Error) => {
        assert.ok(err instanceof ConfigError, `${url}: ${err.name}`);
        assert.match(err.message, /REALTIME_URL/);
        return true;
      },
    );
  }
  for (const url of ['http://127.0.0.1:4000', 'http://realtime:4000', 'http://[::1]:4000']) {
    assert.equal(configWith(url).realtimeUrl, url);
  }
});

test('the proxy target: IPv6 addresses without their brackets, port 80 by default', () => {
  assert.deepEqual(realtimeTarget('http://[::1]:4000'), { host: '::1', port: 4000 });
  assert.deepEqual(realtimeTarget('http://[fd00::2]'), { host: 'fd00::2', port: 80 });
  assert.deepEqual(realtimeTarget('http://realtime:4000/'), { host: 'realtime', port: 4000 });
  assert.deepEqual(realtimeTarget('http://127.0.0.1'), { host: '127.0.0.1', port: 80 });
});

/** Listens on ::1; null where this host has no IPv6 loopback. */
async function listenOnIpv6Loopback(server: Server): Promise<number | null> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT' ? resolve(null) : reject(err),
    );
    server.listen(0, '::1', () => resolve((server.address() as AddressInfo).port));
  });
}

test('upgrades reach a realtime service at an IPv6 REALTIME_URL', async (t) => {
  // Stands in for the realtime service: answers any request head with a recognisable refusal.
  const heads: string[] = [];
  const upstream = createServer((socket) => {
    socket.once('data', (chunk: Buffer) => {
      heads.push(chunk.toString('latin1'));
      const body = '{"detail":"from upstream","code":"TEAPOT"}';
      socket.end(
        `HTTP/1.1 418 I'm a Teapot\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  });
  const port = await listenOnIpv6Loopback(upstream);
  if (port === null) return t.skip('no IPv6 loopback here');
  const backend = await startTestApp({ REALTIME_URL: `http://[::1]:${port}` });
  try {
    await backend.app.listen({ host: '127.0.0.1', port: 0 });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: (backend.app.server.address() as AddressInfo).port,
        path: `/realtime/socket/websocket?X-API-Key=${API_KEY}&vsn=2.0.0`,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on('upgrade', () => reject(new Error('unexpected upgrade')));
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(answer, { status: 418, body: '{"detail":"from upstream","code":"TEAPOT"}' });
    assert.match(heads[0] ?? '', /^GET \/realtime\/socket\/websocket\?X-API-Key=/);
  } finally {
    await backend.close();
    upstream.close();
  }
});
