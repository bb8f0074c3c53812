import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { decodeFrame, detectVsn, FrameError, textFrame } from './frames.ts';

test('textFrame builds frames a WebSocket client reads, for each length encoding', async () => {
  const payloads = [0, 5, 125, 126, 65_535, 65_536, 200_000].map(
    (length) => 'é'.repeat(Math.floor(length / 2)) + 'x'.repeat(length % 2),
  );
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (_ws, request) => {
    for (const payload of payloads) request.socket.write(textFrame(Buffer.from(payload)));
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  await new Promise<void>((resolve, reject) => {
    client.on('message', (data: Buffer, isBinary) => {
      assert.equal(isBinary, false);
      received.push(data.toString());
      if (received.length === payloads.length) resolve();
    });
    client.once('error', reject);
  });
  client.terminate();
  await new Promise((resolve) => server.close(resolve));
  assert.deepEqual(received, payloads);
});

test('decodeFrame reads V1 objects and V2 arrays, and names what is wrong otherwise', () => {
  assert.deepEqual(decodeFrame('["1","2","table:x","phx_join",{"a":1}]', '2.0.0'), {
    joinRef: '1',
    ref: '2',
    topic: 'table:x',
    event: 'phx_join',
    payload: { a: 1 },
  });
  assert.deepEqual(decodeFrame('{"topic":"phoenix","event":"heartbeat","payload":{},"ref":7}', '1.0.0'), {
    joinRef: null,
    ref: '7',
    topic: 'phoenix',
    event: 'heartbeat',
    payload: {},
  });
  assert.throws(() => decodeFrame('[1,2,3]', '2.0.0'), FrameError);
  assert.throws(() => decodeFrame('["1","2","t","",{}]', '2.0.0'), /event must be a non-empty string/);
  assert.throws(() => decodeFrame('[null,{},"t","e",{}]', '2.0.0'), /ref must be a string/);
  assert.throws(() => decodeFrame('"just a string"', '1.0.0'), /expected \{"topic"/);
});

test('decodeFrame refuses a frame nested deeper than MAX_JSON_DEPTH before parsing it', () => {
  const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  const frame = (payload: string) => `["1","2","table:x","phx_join",${payload}]`;
  // The frame itself is one level: a payload of 127 levels is the deepest that passes.
  assert.equal(decodeFrame(frame(nested(127)), '2.0.0').topic, 'table:x');
  assert.throws(() => decodeFrame(frame(nested(128)), '2.0.0'), /nested deeper than 128 levels/);
  assert.throws(() => decodeFrame(frame(nested(4500)), '2.0.0'), FrameError);
});

test('detectVsn: an array is V2, an object V1, whitespace ignored; anything else none', () => {
  assert.equal(detectVsn('[null,"1","phoenix","heartbeat",{}]'), '2.0.0');
  assert.equal(detectVsn(' \n\t[]'), '2.0.0');
  assert.equal(detectVsn('{"topic":"phoenix"}'), '1.0.0');
  for (const text of ['', '   ', '"text"', '42', 'null', 'nope']) assert.equal(detectVsn(text), null, text);
});
