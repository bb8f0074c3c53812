import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { SECURITY_HEADERS } from './security-headers.ts';

const SECURITY_LINES = Object.entries(SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/**
 * Refuses a WebSocket upgrade with a plain HTTP response carrying the usual `{detail, code}` body, then closes the
 * socket (no handshake has happened, so an HTTP answer is all the client can read). It carries the security headers
 * of every other response.
 */
export function refuseUpgrade(socket: Duplex, status: number, body: { detail: string; code: string }): void {
  const json = JSON.stringify({ detail: body.detail, code: body.code });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n` +
      SECURITY_LINES +
      'Connection: close\r\n\r\n' +
      json,
  );
}
