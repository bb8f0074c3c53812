import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  answerClientError,
  apiKeyDigest,
  createJwtKey,
  createLoggerOptions,
  createMetricsGuard,
  createPool,
  DATABASE_UNAVAILABLE_MESSAGE,
  ErrorCode,
  MALFORMED_URL,
  METRICS_PATH,
  type Pool,
  requestUrl,
} from '@selfdb/common';
import { type Logger, pino } from 'pino';
import { WebSocketServer } from 'ws';
import { CloseCode, Connection, type ConnectionDeps } from './channels/connection.ts';
import { Hub } from './channels/hub.ts';
import { authenticate, type Identity, isTokenRefusal } from './channels/tokens.ts';
import type { RealtimeConfig } from './config.ts';
import { AddressLimiter, clientAddressOf } from './protocol/client-address.ts';
import { checkHandshake, isRefusal, refuseUpgrade, SOCKET_PATHS } from './protocol/handshake.ts';
import { createRealtimeMetrics } from './metrics.ts';
import { ChangeFeed } from './pubsub/change-feed.ts';

export interface BuildOptions {
  /** A logger to use instead of pino on stdout (tests pass a silent one). */
  logger?: Logger;
}

export interface RealtimeService {
  /** The HTTP server (health check and WebSocket upgrades); `server.ts` makes it listen. */
  server: Server;
  hub: Hub;
  feed: ChangeFeed;
  pool: Pool;
  log: Logger;
  /** Closes every socket (1001), stops the feed and ends the database connections. */
  close(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 1000;
/**
 * How often the sessions of the open sockets are checked (one query for all of them, `Hub.checkSessions`): a socket
 * whose session ends is signed out within this, plus the query's time, so within a second.
 */
const SESSION_CHECK_INTERVAL_MS = 500;

function sendJson(response: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * Builds the realtime service: an HTTP server answering `GET /health` and WebSocket upgrades on the socket paths,
 * a change feed reading the outbox (started here), and the hub fanning changes out. It does not listen.
 */
export function buildRealtime(config: Readonly<RealtimeConfig>, options: BuildOptions = {}): RealtimeService {
  const log = options.logger ?? pino(createLoggerOptions(config.logLevel, 'realtime'));
  const pool = createPool(config.directDatabaseUrl, {
    max: config.dbPoolMax,
    applicationName: 'selfdb-realtime',
  });
  // Hub and feed refer to each other: the feed hands changes to the hub (once started), the hub reads the feed's
  // position.
  const feed = new ChangeFeed({
    directUrl: config.directDatabaseUrl,
    pool,
    batchSize: config.batchSize,
    log,
    onChanges: (changes) => hub.dispatch(changes),
  });
  const hub = new Hub({
    feed,
    pool,
    log,
    batchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
  });
  const deps: ConnectionDeps = {
    hub,
    jwtKey: createJwtKey(config.secretKey),
    limits: config.limits,
    log,
  };
  const keyDigest = apiKeyDigest(config.apiKey);
  const perAddress = new AddressLimiter(config.limits.socketsPerAddress);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.limits.frameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  // What checkHandshake did not foresee (a malformed Sec-WebSocket-Protocol header): the usual JSON body, not ws's
  // text/html one.
  wss.on('wsClientError', (err: Error, socket: Duplex) => {
    refuseUpgrade(socket, { status: 400, code: ErrorCode.BAD_REQUEST, detail: err.message });
  });

  const metrics = createRealtimeMetrics(hub, pool, config.metricsToken !== null);
  const checkMetricsAccess = createMetricsGuard(config.metricsToken);

  /** `GET /metrics`: 404 when METRICS_TOKEN is unset, 401 without it as a Bearer token. */
  function answerMetrics(request: IncomingMessage, response: ServerResponse): void {
    const access = checkMetricsAccess(request.headers.authorization);
    if (access === 'off') return sendJson(response, 404, { detail: 'Not Found', code: ErrorCode.NOT_FOUND });
    if (access === 'refused') {
      response.setHeader('www-authenticate', 'Bearer');
      return sendJson(response, 401, { detail: 'Invalid metrics token', code: ErrorCode.INVALID_TOKEN });
    }
    metrics.render().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        response.end(text);
      },
      (err: unknown) => {
        log.error({ err }, 'metrics failed');
        sendJson(response, 500, { detail: 'Internal realtime error', code: ErrorCode.INTERNAL_ERROR });
      },
    );
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const started = performance.now();
    const path = (request.url ?? '/').split('?', 1)[0]!.replace(/\/+$/, '') || '/';
    const route = path === '/health' || path === METRICS_PATH || SOCKET_PATHS.has(path) ? path : null;
    if (metrics.enabled) {
      response.once('finish', () => {
        const method = request.method ?? 'GET';
        metrics.observeRequest(route, method, response.statusCode, (performance.now() - started) / 1000);
      });
    }
    if (path === METRICS_PATH && request.method === 'GET') return answerMetrics(request, response);
    if (path === '/health' && (request.method === 'GET' || request.method === 'HEAD')) {
      const healthy = feed.ready && feed.listening;
      sendJson(response, healthy ? 200 : 503, {
        status: healthy ? 'ok' : 'unavailable',
        service: 'realtime',
        listening: feed.listening,
        position: feed.position,
        connections: hub.connections.size,
      });
      return;
    }
    if (SOCKET_PATHS.has(path)) {
      sendJson(response, 404, {
        detail: 'Not Found - This endpoint only accepts WebSocket connections',
        code: ErrorCode.NOT_FOUND,
      });
      return;
    }
    sendJson(response, 404, { detail: 'Not Found', code: ErrorCode.NOT_FOUND });
  });
  // Requests Node's parser refuses get the usual body too.
  server.on('clientError', answerClientError);

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(request);
    if (!url) return refuseUpgrade(socket, MALFORMED_URL);
    const handshake = checkHandshake(request, url, keyDigest);
    if (isRefusal(handshake)) return refuseUpgrade(socket, handshake);
    // The slot is held from here until the TCP connection closes, however it ends (refused below, or a socket).
    const release = perAddress.acquire(clientAddressOf(request, config.secretKey, config.trustProxy));
    if (!release) {
      return refuseUpgrade(socket, {
        status: 429,
        code: ErrorCode.TOO_MANY_CONNECTIONS,
        detail: `Too many realtime connections from this address: at most ${perAddress.max} at once (REALTIME_MAX_SOCKETS_PER_ADDRESS); close one first`,
      });
    }
    socket.once('close', release);
    if (socket.destroyed) release();
    let identity: Identity | null = null;
    if (handshake.token) {
      try {
        const result = await authenticate(hub, deps.jwtKey, handshake.token);
        if (isTokenRefusal(result)) return refuseUpgrade(socket, result);
        identity = result;
      } catch {
        return refuseUpgrade(socket, {
          status: 503,
          code: ErrorCode.DATABASE_UNAVAILABLE,
          detail: DATABASE_UNAVAILABLE_MESSAGE,
        });
      }
    }
    if (socket.destroyed) return;
    wss.handleUpgrade(request, socket, head, (ws) => {
      new Connection(ws, socket, handshake.vsn, identity, deps);
    });
  }
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(request, socket, head).catch((err: unknown) => {
      log.error({ err }, 'upgrade failed');
      socket.destroy();
    });
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const conn of hub.connections) {
      if (now - conn.lastSeen > config.limits.idleTimeoutMs) {
        conn.close(CloseCode.IDLE, `idle timeout: no message for ${config.limits.idleTimeoutMs / 1000} s`);
      } else if (conn.tokenExpired(now)) {
        conn.expire();
      }
    }
  }, SWEEP_INTERVAL_MS);
  sweep.unref();
  const sessionCheck = setInterval(() => void hub.checkSessions(), SESSION_CHECK_INTERVAL_MS);
  sessionCheck.unref();

  feed.start();

  return {
    server,
    hub,
    feed,
    pool,
    log,
    async close() {
      clearInterval(sweep);
      clearInterval(sessionCheck);
      hub.flush();
      const open = [...hub.connections];
      for (const conn of open) conn.close(CloseCode.GOING_AWAY, 'server shutting down');
      // Give the close frames a moment to leave, then drop whatever did not close.
      const deadline = Date.now() + 200;
      while (Date.now() < deadline && open.some((conn) => conn.ws.readyState !== conn.ws.CLOSED)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (const conn of open) conn.ws.terminate();
      await feed.stop();
      // Lets a session check under way finish before the pool ends (with no socket left, none starts a query).
      await hub.checkSessions();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      wss.close();
      await pool.end();
    },
  };
}
