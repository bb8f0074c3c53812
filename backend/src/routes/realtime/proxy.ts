import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';

const SOCKET_PATHS = new Set(['/realtime/socket', '/realtime/socket/websocket']);
const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  404: 'Not Found',
  406: 'Not Acceptable',
  503: 'Service Unavailable',
};

const digest = (value: string) => createHash('sha256').update(value).digest();

function refuse(socket: Duplex, status: number, code: string, detail: string): void {
  const body = JSON.stringify({ detail, code });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The request line and headers as the client sent them, plus who it came from. */
function requestHead(request: IncomingMessage): string {
  let head = `${request.method} ${request.url} HTTP/1.1\r\n`;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!/^x-forwarded-for$/i.test(raw[i]!)) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  const previous = request.headers['x-forwarded-for'];
  const client = request.socket.remoteAddress ?? '';
  head += `X-Forwarded-For: ${previous ? `${previous}, ${client}` : client}\r\n\r\n`;
  return head;
}

/**
 * Passes WebSocket upgrades of `/realtime/socket[/websocket]` to the realtime service as a byte tunnel: the
 * request head is replayed to the service and both sockets are piped, so frames stream through unparsed and the
 * service answers the handshake (101, or its own refusal). The API key is checked here too (header, or the
 * `X-API-Key` query parameter browsers must use), so a bad key costs the service nothing.
 */
export function installRealtimeProxy(app: FastifyInstance, config: Pick<Config, 'apiKey' | 'realtimeUrl'>) {
  const target = new URL(config.realtimeUrl);
  const port = Number(target.port || 80);
  const expected = digest(config.apiKey);
  const tunnels = new Set<Socket | Duplex>();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!SOCKET_PATHS.has(url.pathname.replace(/\/+$/, ''))) {
      refuse(socket, 404, ErrorCode.NOT_FOUND, 'Not Found');
      return;
    }
    const header = request.headers['x-api-key'];
    const presented = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('X-API-Key') ?? '';
    if (presented === '') {
      refuse(socket, 406, ErrorCode.API_KEY_MISSING, 'Missing required header: X-API-Key');
      return;
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      refuse(socket, 401, ErrorCode.API_KEY_INVALID, 'Invalid API key');
      return;
    }

    const upstream = connect({ host: target.hostname, port });
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
      upstream.write(requestHead(request));
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', (err) => {
      if (connected) return teardown();
      app.log.warn({ err: err.message, target: config.realtimeUrl }, 'realtime service unreachable');
      tunnels.delete(socket);
      tunnels.delete(upstream);
      refuse(socket, 503, ErrorCode.REALTIME_UNAVAILABLE, 'Realtime service unavailable');
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
