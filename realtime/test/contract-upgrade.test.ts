// Issue 17, part 2: the realtime service refuses malformed WebSocket upgrades with the usual `{detail, code}` JSON
// body (not the `ws` library's text/html), and so are requests Node's HTTP parser refuses.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { API_KEY, createTestDatabase, startRealtime, type TestRealtime } from './helpers.ts';

let realtime: TestRealtime;

before(async () => {
  realtime = await startRealtime(await createTestDatabase());
});
after(() => realtime?.close());

/** Sends `request` on a fresh connection and returns the status, headers and body of the answer. */
function exchange(request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port: realtime.port }, () => socket.write(request));
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(text.split(' ')[1]),
        headers: text.slice(0, end).toLowerCase(),
        body: text.slice(end + 4),
      });
    };
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', done);
    socket.on('error', reject);
  });
}

const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
const upgrade = (method: string, extra: string) =>
  `${method} /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: x\r\nX-API-Key: ${API_KEY}\r\n` +
  `Connection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;

test('malformed upgrades are refused in JSON with stable codes', async () => {
  const cases: [string, string, number, string][] = [
    ['POST', `${KEY}Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n`, 405, 'METHOD_NOT_ALLOWED'],
    ['PUT', `${KEY}Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n`, 405, 'METHOD_NOT_ALLOWED'],
    ['GET', 'Sec-WebSocket-Version: 13\r\n', 400, 'BAD_REQUEST'],
    ['GET', 'Sec-WebSocket-Key: not-a-nonce\r\nSec-WebSocket-Version: 13\r\n', 400, 'BAD_REQUEST'],
    ['GET', KEY, 400, 'BAD_REQUEST'],
    ['GET', `${KEY}Sec-WebSocket-Version: 7\r\n`, 400, 'BAD_REQUEST'],
    ['GET', `${KEY}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a,,b\r\n`, 400, 'BAD_REQUEST'],
  ];
  for (const [method, extra, status, code] of cases) {
    const answer = await exchange(upgrade(method, extra));
    const where = `${method} ${JSON.stringify(extra)}`;
    assert.equal(answer.status, status, `${where}: ${answer.headers}\n${answer.body}`);
    assert.match(answer.headers, /content-type: application\/json/, where);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'detail'], where);
    assert.equal(body.code, code, where);
  }
  const wrongMethod = await exchange(
    upgrade('POST', `${KEY}Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n`),
  );
  assert.match(wrongMethod.headers, /\r\nallow: get/);
  const wrongVersion = await exchange(upgrade('GET', `${KEY}Sec-WebSocket-Version: 7\r\n`));
  assert.match(wrongVersion.headers, /\r\nsec-websocket-version: 13, 8/);
});

test('an upgrade whose URL cannot be read is 400 in JSON; a long vsn is not echoed whole', async () => {
  for (const target of ['//[', 'http://a:99999/socket/websocket']) {
    const answer = await exchange(
      `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${KEY}` +
        'Sec-WebSocket-Version: 13\r\n\r\n',
    );
    assert.equal(answer.status, 400, `${target}: ${answer.body}`);
    assert.deepEqual(JSON.parse(answer.body), { detail: 'Malformed URL', code: 'BAD_REQUEST' });
  }
  const vsn = 'v'.repeat(2000);
  const answer = await exchange(
    upgrade('GET', `${KEY}Sec-WebSocket-Version: 13\r\n`).replace('vsn=2.0.0', `vsn=${vsn}`),
  );
  assert.equal(answer.status, 400);
  assert.ok(!answer.body.includes(vsn.slice(0, 100)), answer.body);
  const health = await fetch(`http://127.0.0.1:${realtime.port}/health`);
  assert.equal(health.status, 200);
});

test('a request the HTTP parser refuses is 400 BAD_REQUEST in JSON', async () => {
  const answer = await exchange('GARBAGE\r\n\r\n');
  assert.equal(answer.status, 400);
  assert.deepEqual(JSON.parse(answer.body), { detail: 'Bad Request', code: 'BAD_REQUEST' });
});
