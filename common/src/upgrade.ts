import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Refuses a WebSocket upgrade with a plain HTTP response carrying the usual `{detail, code}` body, then closes the
 * socket (no handshake has happened, so an HTTP answer is all the client can read).
 */
export function refuseUpgrade(socket: Duplex, status: number, body: { detail: string; code: string }): void {
  const json = JSON.stringify({ detail: body.detail, code: body.code });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n` +
      'Connection: close\r\n\r\n' +
      json,
  );
}
