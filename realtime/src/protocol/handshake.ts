import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  checkApiKey,
  checkWebSocketRequest,
  ErrorCode,
  preview,
  refuseUpgrade as refuse,
} from '@selfdb/common';
import { SUPPORTED_VSNS, type Vsn } from './frames.ts';

/**
 * Where sockets connect: Phoenix's own `/socket` (the `phoenix` client appends `/websocket` to the endpoint it is
 * given), and the public `/realtime/socket` paths, so the backend's proxy and a reverse proxy routing
 * `/api/realtime/socket` here (prefix stripped) need no rewriting.
 */
export const SOCKET_PATHS: ReadonlySet<string> = new Set([
  '/socket',
  '/socket/websocket',
  '/realtime/socket',
  '/realtime/socket/websocket',
]);

/** The subprotocol prefix the `phoenix` client (1.8+) uses for its `authToken` option. */
const AUTH_TOKEN_PREFIX = 'base64url.bearer.phx.';

export interface HandshakeRefusal {
  status: number;
  code: string;
  detail: string;
  headers?: Record<string, string>;
}

export interface Handshake {
  /** The `vsn` asked for; null when absent: the first frame decides (see `detectVsn`). */
  vsn: Vsn | null;
  /** The access token, when the client sent one (query `token`, `Authorization: Bearer`, or the subprotocol). */
  token: string | null;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function subprotocolToken(header: string | undefined): string | null {
  for (const protocol of (header ?? '').split(',')) {
    const trimmed = protocol.trim();
    if (!trimmed.startsWith(AUTH_TOKEN_PREFIX)) continue;
    try {
      return Buffer.from(trimmed.slice(AUTH_TOKEN_PREFIX.length), 'base64url').toString('utf8');
    } catch {
      return '';
    }
  }
  return null;
}

/**
 * Checks what can be checked without the database: path, the WebSocket request itself (method, key, version: what
 * the `ws` library would refuse in text/html), protocol version and API key (missing → 406, wrong → 401, as every
 * other SelfDB route). Returns the refusal to answer, or what the connection needs next.
 */
export function checkHandshake(
  request: IncomingMessage,
  url: URL,
  apiKeyDigest: Buffer,
): Handshake | HandshakeRefusal {
  if (!SOCKET_PATHS.has(url.pathname.replace(/\/+$/, '') || '/')) {
    return { status: 404, code: ErrorCode.NOT_FOUND, detail: 'Not Found' };
  }
  const malformed = checkWebSocketRequest(request);
  if (malformed) return malformed;
  const vsn = url.searchParams.get('vsn');
  if (vsn !== null && !SUPPORTED_VSNS.has(vsn)) {
    return {
      status: 400,
      code: ErrorCode.BAD_REQUEST,
      detail: `Unsupported protocol version vsn=${preview(vsn, 20)}: use 1.0.0 (JSON objects) or 2.0.0 (JSON arrays)`,
    };
  }
  const keyFailure = checkApiKey(
    firstHeader(request.headers['x-api-key']) ?? url.searchParams.get('X-API-Key'),
    apiKeyDigest,
  );
  if (keyFailure) return keyFailure;
  const bearer = /^Bearer\s+(\S+)$/i.exec(firstHeader(request.headers.authorization) ?? '')?.[1];
  const token =
    url.searchParams.get('token') ||
    bearer ||
    subprotocolToken(firstHeader(request.headers['sec-websocket-protocol'])) ||
    null;
  return { vsn: vsn as Vsn | null, token };
}

export const isRefusal = (value: Handshake | HandshakeRefusal): value is HandshakeRefusal =>
  'status' in value;

/**
 * Answers a refused upgrade with a plain HTTP response carrying the usual `{detail, code}` body; app.ts passes
 * refusals (its own, the handshake's, the token check's) whole.
 */
export const refuseUpgrade = (socket: Duplex, refusal: HandshakeRefusal): void =>
  refuse(socket, refusal.status, refusal);
