import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { STRICT_CSP } from './security-headers.ts';
import { refuseUpgrade } from './upgrade.ts';

async function refusal(status: number): Promise<string> {
  const socket = new PassThrough();
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => socket.on('end', resolve));
  refuseUpgrade(socket, status, { detail: 'Nö', code: 'SOME_CODE' });
  await ended;
  return Buffer.concat(chunks).toString('utf8');
}

test('answers a plain HTTP response with the {detail, code} body and ends the socket', async () => {
  const body = '{"detail":"Nö","code":"SOME_CODE"}';
  assert.equal(
    await refusal(406),
    'HTTP/1.1 406 Not Acceptable\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'x-content-type-options: nosniff\r\nx-frame-options: DENY\r\nreferrer-policy: no-referrer\r\n' +
      `content-security-policy: ${STRICT_CSP}\r\nConnection: close\r\n\r\n${body}`,
  );
  assert.match(await refusal(503), /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  assert.match(await refusal(599), /^HTTP\/1\.1 599 Error\r\n/);
});
