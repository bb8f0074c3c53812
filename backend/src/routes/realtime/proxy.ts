import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  apiKeyDigest,
  CLIENT_ADDRESS_HEADER,
  CLIENT_ADDRESS_SIGNATURE_HEADER,
  checkApiKey,
  checkWebSocketRequest,
  ErrorCode,
  MALFORMED_URL,
  refuseUpgrade,
  requestUrl,
  requestClientAddress,
  signClientAddress,
} from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';

const SOCKET_PATHS = new Set(['/realtime/socket', '/realtime/socket/websocket']);

/**
 * Where `net.connect` reaches the realtime service at `url` (http:, which config.ts enforces: the tunnel is plain
 * TCP). A URL's hostname keeps an IPv6 address's brackets, which `net.connect` cannot resolve.
 */
export function realtimeTarget(url: string): { host: string; port: number } {
  const target = new URL(url);
  return { host: target.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(target.port || 80) };
}

// Headers the proxy writes itself: whatever the client sent under these names is dropped.
const OWN_HEADERS = new Set(['x-forwarded-for', CLIENT_ADDRESS_HEADER, CLIENT_ADDRESS_SIGNATURE_HEADER]);

/**
 * The request line and headers as the client sent them, plus who it came from: `X-Forwarded-For` extended with the
 * peer, and the client's address as this backend settles it for its own limits (TRUST_PROXY, as `request.ip`),
 * signed, which is the one the realtime service believes (its per-address socket limit).
 */
function requestHead(request: IncomingMessage, config: Pick<Config, 'secretKey' | 'trustProxy'>): string {
  let head = `${request.method} ${request.url} HTTP/1.1\r\n`;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!OWN_HEADERS.has(raw[i]!.toLowerCase())) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  const previous = request.headers['x-forwarded-for'];
  const peer = request.socket.remoteAddress ?? '';
  head += `X-Forwarded-For: ${previous ? `${previous}, ${peer}` : peer}\r\n`;
  const client = requestClientAddress(request, config.trustProxy);
  head += `${CLIENT_ADDRESS_HEADER}: ${client}\r\n`;
  head += `${CLIENT_ADDRESS_SIGNATURE_HEADER}: ${signClientAddress(config.secretKey, client)}\r\n\r\n`;
  return head;
}

/**
 * Passes WebSocket upgrades of `/realtime/socket[/websocket]` to the realtime service as a byte tunnel: the
 * request head is replayed to the service and both sockets are piped, so frames stream through unparsed and the
 * service answers the handshake (101, or its own refusal). The API key is checked here too (header, or the
 * `X-API-Key` query parameter browsers must use), so a bad key costs the service nothing.
 */
export function installRealtimeProxy(
  app: FastifyInstance,
  config: Pick<Config, 'apiKey' | 'realtimeUrl' | 'secretKey' | 'trustProxy'>,
) {
  const target = realtimeTarget(config.realtimeUrl);
  const expected = apiKeyDigest(config.apiKey);
  const tunnels = new Set<Socket | Duplex>();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(request);
    if (!url) {
      refuseUpgrade(socket, MALFORMED_URL.status, MALFORMED_URL);
      return;
    }
    if (!SOCKET_PATHS.has(url.pathname.replace(/\/+$/, ''))) {
      refuseUpgrade(socket, 404, { detail: 'Not Found', code: ErrorCode.NOT_FOUND });
      return;
    }
    const malformed = checkWebSocketRequest(request);
    if (malformed) {
      refuseUpgrade(socket, malformed.status, malformed);
      return;
    }
    const header = request.headers['x-api-key'];
    const failure = checkApiKey(
      (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('X-API-Key'),
      expected,
    );
    if (failure) {
      refuseUpgrade(socket, failure.status, failure);
      return;
    }

    const upstream = connect({ host: target.host, port: target.port });
    let connected = false;
    tunnels.add(socket);
    tunnels.add(upstream);
    const teardown = () => {
      tunnels.delete(socket);
      tunnels.delete(upstream);
      socket.destroy();
      upstream.destroy();
    };
    upstream.once('connect', () => {
      connected = true;
      upstream.setNoDelay(true);
      upstream.write(requestHead(request, config));
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', (err) => {
      if (connected) return teardown();
      app.log.warn({ err: err.message, target: config.realtimeUrl }, 'realtime service unreachable');
      tunnels.delete(socket);
      tunnels.delete(upstream);
      refuseUpgrade(socket, 503, {
        detail: 'Realtime service unavailable',
        code: ErrorCode.REALTIME_UNAVAILABLE,
      });
    });
    upstream.on('close', () => connected && teardown());
    socket.on('close', teardown);
  };

  app.server.on('upgrade', onUpgrade);
  // Before the server closes: it waits for every socket, and tunnels live as long as their clients.
  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade);
    for (const tunnel of tunnels) tunnel.destroy();
  });
}
