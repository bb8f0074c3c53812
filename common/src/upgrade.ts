import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from './errors.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

const SECURITY_LINES = Object.entries(SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/**
 * Refuses a WebSocket upgrade with a plain HTTP response carrying the usual `{detail, code}` body, then closes the
 * socket (no handshake has happened, so an HTTP answer is all the client can read). It carries the security headers
 * of every other response.
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  body: { detail: string; code: string; headers?: Record<string, string> },
): void {
  const json = JSON.stringify({ detail: body.detail, code: body.code });
  const extra = Object.entries(body.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n` +
      SECURITY_LINES +
      extra +
      'Connection: close\r\n\r\n' +
      json,
  );
}

export interface UpgradeRefusal {
  status: number;
  code: ErrorCode;
  detail: string;
  headers?: Record<string, string>;
}

// RFC 6455: a base64 nonce of 16 bytes.
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * The checks the `ws` library makes of an upgrade request before its handshake (method, `Upgrade`,
 * `Sec-WebSocket-Key`, `Sec-WebSocket-Version`), made first so that the refusal has the usual `{detail, code}`
 * body instead of ws's `text/html` one: wrong method → 405 `METHOD_NOT_ALLOWED` (`Allow: GET`), the rest → 400
 * `BAD_REQUEST`. Null when the request may go on.
 */
export function checkWebSocketRequest(request: IncomingMessage): UpgradeRefusal | null {
  if (request.method !== 'GET') {
    return {
      status: 405,
      code: ErrorCode.METHOD_NOT_ALLOWED,
      detail: 'Method Not Allowed: a WebSocket handshake is a GET',
      headers: { Allow: 'GET' },
    };
  }
  const upgrade = request.headers.upgrade;
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
    return { status: 400, code: ErrorCode.BAD_REQUEST, detail: 'Invalid Upgrade header: expected websocket' };
  }
  const key = request.headers['sec-websocket-key'];
  if (key === undefined || !WEBSOCKET_KEY.test(key)) {
    return {
      status: 400,
      code: ErrorCode.BAD_REQUEST,
      detail: 'Missing or invalid Sec-WebSocket-Key header',
    };
  }
  const version = request.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') {
    return {
      status: 400,
      code: ErrorCode.BAD_REQUEST,
      detail: 'Missing or invalid Sec-WebSocket-Version header: 13 or 8',
      headers: { 'Sec-WebSocket-Version': '13, 8' },
    };
  }
  return null;
}

const SOCKET_ERRORS: Record<number, ErrorCode> = {
  400: ErrorCode.BAD_REQUEST,
  414: ErrorCode.URI_TOO_LONG,
  408: ErrorCode.REQUEST_TIMEOUT,
  431: ErrorCode.HEADERS_TOO_LARGE,
};

/**
 * Headers overflowed because of the request line: the URL is too long (414), not the headers (431). Node gives the
 * packet it was parsing; a request line of more than half the header budget (16 KiB) is the URL's fault.
 */
function requestLineTooLong(error: NodeJS.ErrnoException): boolean {
  const raw = (error as { rawPacket?: unknown }).rawPacket;
  if (!Buffer.isBuffer(raw) || !/^[A-Z]+ \//.test(raw.toString('latin1', 0, 16))) return false;
  const end = raw.indexOf('\r\n');
  return end === -1 || end > 8192;
}

/**
 * Requests Node's HTTP parser refuses (malformed request line or headers, a body longer than its `Content-Length`
 * read as the next request, headers too large, too slow): answered on the socket with the usual body and security
 * headers instead of Node's or Fastify's bare answer, then the connection is closed. A reset connection gets
 * nothing. Every SelfDB HTTP server (backend, storage, realtime) answers them this way.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 408
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? requestLineTooLong(error)
          ? 414
          : 431
        : 400;
  if (!socket.writable) return void socket.destroy();
  // Ends the socket once the answer is flushed.
  refuseUpgrade(socket, status, {
    detail: STATUS_CODES[status] ?? 'Bad Request',
    code: SOCKET_ERRORS[status] ?? ErrorCode.BAD_REQUEST,
  });
}

/**
 * The URL of a raw request (an upgrade, which no framework parsed), or null when it cannot be read (`//[`,
 * `http://host:99999/`): the caller refuses it with 400 rather than letting `new URL` throw in an event handler.
 */
export function requestUrl(request: IncomingMessage): URL | null {
  try {
    return new URL(request.url ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

/** The refusal of an upgrade whose URL cannot be read; it is never echoed. */
export const MALFORMED_URL: UpgradeRefusal = {
  status: 400,
  code: ErrorCode.BAD_REQUEST,
  detail: 'Malformed URL',
};
