// Issue 17, parts 1 and 2: no input makes a 500, and every error has the one body `{detail, code}`. Values Postgres
// refuses (NUL bytes, `\u0000` in jsonb) are 400 on bucket and file routes as on tables; JSON nested 5,000 deep is
// 400 JSON_TOO_DEEP on every JSON body and jsonb filter; unknown methods are 405 with `Allow`; long path parameters
// hold their documented limits without echoing the URL; and what Node's parser, Fastify's router and the WebSocket
// handshake refuse answers JSON too, in the backend and in the storage service.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ADMIN, API_KEY, call, login } from './helpers.ts';
import { createBucket, type StorageStack, startStorageStack, upload } from './storage-helpers.ts';

let s: StorageStack;
let token: string;
let bucketId: string;
let fileId: string;
let tableId: string;
let rowId: string;
let port: number;

before(async () => {
  s = await startStorageStack();
  port = Number(new URL(s.url).port);
  token = (await login(s.t.app, ADMIN.email, ADMIN.password)).access_token;
  bucketId = await createBucket(s.t.app, token, 'contract', { metadata: { kept: true } });
  fileId = String((await upload(s.t.app, bucketId, 'a.txt', 'hello', { token })).body.file_id);
  const table = await call(s.t.app, 'POST', '/tables/', {
    token,
    body: { name: 'docs', public: true, table_schema: { title: 'text', doc: 'jsonb' } },
  });
  tableId = String(table.body.id);
  const row = await call(s.t.app, 'POST', `/tables/${tableId}/data`, {
    token,
    body: { title: 'x', doc: {} },
  });
  rowId = String((row.body.data as Record<string, unknown>).id);
});
after(() => s?.close());

const JSON_TYPE = { 'content-type': 'application/json' };

function assertErrorBody(body: unknown, where: string): asserts body is { detail: unknown; code: string } {
  assert.ok(body && typeof body === 'object', `${where}: a JSON object body`);
  assert.deepEqual(Object.keys(body).sort(), ['code', 'detail'], `${where}: ${JSON.stringify(body)}`);
  assert.match(String((body as { code: unknown }).code), /^[A-Z_]+$/, where);
}

describe('part 1: values Postgres refuses are 400 everywhere', () => {
  const cases = (): [string, string, string, string | object][] => [
    [
      'bucket description with a NUL byte',
      'POST',
      '/storage/buckets/',
      { name: 'nul-desc', description: 'a\u0000b' },
    ],
    [
      'bucket metadata with \\u0000 (22P05)',
      'POST',
      '/storage/buckets/',
      '{"name":"nul-meta","metadata":{"a":"\\u0000"}}',
    ],
    [
      'bucket metadata key with a NUL byte',
      'POST',
      '/storage/buckets/',
      { name: 'nul-key', metadata: { 'k\u0000': 1 } },
    ],
    [
      'bucket update: description with a NUL byte',
      'PATCH',
      `/storage/buckets/${bucketId}`,
      { description: 'a\u0000' },
    ],
    [
      'bucket update: metadata with \\u0000',
      'PATCH',
      `/storage/buckets/${bucketId}`,
      '{"metadata":{"a":"\\u0000"}}',
    ],
    ['file metadata with \\u0000', 'PATCH', `/storage/files/${fileId}`, '{"metadata":{"a":"\\u0000"}}'],
    [
      'file metadata key with a NUL byte',
      'PATCH',
      `/storage/files/${fileId}`,
      { metadata: { 'k\u0000': 1 } },
    ],
    ['table description with a NUL byte', 'PATCH', `/tables/${tableId}`, { description: 'a\u0000' }],
    ['jsonb row value with \\u0000', 'POST', `/tables/${tableId}/data`, '{"doc":{"a":"\\u0000"}}'],
  ];
  test('each answers 400 INVALID_VALUE with the usual body, and nothing changed', async () => {
    for (const [name, method, url, body] of cases()) {
      const response = await call(s.t.app, method, url, {
        token,
        body,
        ...(typeof body === 'string' ? { headers: JSON_TYPE } : {}),
      });
      assert.equal(response.status, 400, `${name}: ${response.status} ${JSON.stringify(response.body)}`);
      assertErrorBody(response.body, name);
      assert.equal(response.body.code, 'INVALID_VALUE', name);
    }
    const buckets = (await call(s.t.app, 'GET', '/storage/buckets/', { token })).body as { name: string }[];
    assert.deepEqual(
      buckets.map((b) => b.name),
      ['contract'],
    );
    const bucket = await call(s.t.app, 'GET', `/storage/buckets/${bucketId}`, { token });
    assert.deepEqual(bucket.body.metadata, { kept: true });
    assert.equal((await call(s.t.app, 'GET', `/tables/${tableId}/data`, { token })).body.total, 1);
  });
});

describe('part 1: JSON nested 5,000 deep is 400 JSON_TOO_DEEP on every JSON body', () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  const deepObject = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
  const bodies = (): [string, string, string][] => [
    ['POST', '/tables/', `{"name":"deep","table_schema":{"a":"text"},"metadata":${deepObject}}`],
    ['PATCH', `/tables/${tableId}`, `{"metadata":${deepObject}}`],
    ['POST', `/tables/${tableId}/data`, `{"doc":${deep}}`],
    ['POST', `/tables/${tableId}/data`, `[{"doc":${deep}}]`],
    ['POST', `/tables/${tableId}/data`, deep],
    ['PATCH', `/tables/${tableId}/data/${rowId}`, `{"doc":${deepObject}}`],
    ['POST', `/tables/${tableId}/columns`, `{"name":"c","type":"text","default":${deep}}`],
    ['PATCH', `/tables/${tableId}/columns/title`, `{"default":${deep}}`],
    ['POST', '/storage/buckets/', `{"name":"deep-bucket","metadata":${deepObject}}`],
    ['PATCH', `/storage/buckets/${bucketId}`, `{"metadata":${deepObject}}`],
    ['PATCH', `/storage/files/${fileId}`, `{"metadata":${deepObject}}`],
    ['POST', `/storage/files/${fileId}/signed-url`, `{"expires_in":${deep}}`],
    ['POST', '/users/', `{"email":"deep@example.com","extra":${deep}}`],
    ['POST', '/users/token', `{"email":${deep}}`],
    ['POST', '/sql/query', `{"query":"select 1","params":${deep}}`],
  ];
  test('each is refused before parsing, with the usual body; nothing was written', async () => {
    for (const [method, url, body] of bodies()) {
      const response = await call(s.t.app, method, url, { token, body, headers: JSON_TYPE });
      const where = `${method} ${url}`;
      assert.equal(response.status, 400, `${where}: ${response.status} ${JSON.stringify(response.body)}`);
      assertErrorBody(response.body, where);
      assert.equal(response.body.code, 'JSON_TOO_DEEP', where);
    }
    assert.equal((await call(s.t.app, 'GET', `/tables/${tableId}/data`, { token })).body.total, 1);
  });

  test('a jsonb filter value in the query string is held to the same limit', async () => {
    const response = await call(s.t.app, 'GET', `/tables/${tableId}/data?doc=eq.${encodeURIComponent(deep)}`);
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.code, 'JSON_TOO_DEEP');
    const shallow = '['.repeat(100) + ']'.repeat(100);
    const fine = await call(s.t.app, 'GET', `/tables/${tableId}/data?doc=eq.${encodeURIComponent(shallow)}`);
    assert.equal(fine.status, 200, JSON.stringify(fine.body));
  });
});

describe('part 1: JSON nested deeper than the limit already in the database is answered, not a 500', () => {
  const deepText = '['.repeat(5000) + ']'.repeat(5000);
  test('the SQL console shows it (as its JSON text)', async () => {
    const response = await call(s.t.app, 'POST', '/sql/query', {
      token,
      body: { query: `select '${deepText}'::jsonb as doc` },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 300));
    const [row] = response.body.data as { doc: unknown }[];
    assert.equal(row?.doc, deepText);
  });

  test('the data API reads a row holding it (written with SQL), and the other rows as usual', async () => {
    const direct = new pg.Client({ connectionString: s.t.db.directUrl });
    await direct.connect();
    try {
      await direct.query(`INSERT INTO docs (title, doc) VALUES ('deep', $1::jsonb)`, [deepText]);
    } finally {
      await direct.end();
    }
    const response = await call(s.t.app, 'GET', `/tables/${tableId}/data?title=eq.deep`);
    assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 300));
    const rows = (response.body as unknown as { data: { doc: unknown }[] }).data;
    assert.equal(rows[0]?.doc, deepText);
    const shallow = await call(s.t.app, 'GET', `/tables/${tableId}/data?title=eq.x`);
    assert.deepEqual((shallow.body as unknown as { data: { doc: unknown }[] }).data[0]?.doc, {});
  });
});

describe('part 2: unknown routes and methods', () => {
  test('a known path with another method is 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const cases: [string, string, string][] = [
      ['PUT', '/users/me', 'GET, HEAD'],
      ['DELETE', '/tables/', 'GET, HEAD, POST'],
      ['POST', `/tables/${tableId}/data/${rowId}`, 'DELETE, PATCH'],
      ['PUT', `/storage/buckets/${bucketId}`, 'DELETE, GET, HEAD, PATCH'],
    ];
    for (const [method, url, allow] of cases) {
      const response = await call(s.t.app, method, url, { token, body: method === 'GET' ? undefined : {} });
      assert.equal(response.status, 405, `${method} ${url}: ${JSON.stringify(response.body)}`);
      assert.deepEqual(response.body, { detail: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED' });
      assert.equal(response.headers.allow, allow, `${method} ${url}`);
    }
  });

  test('an unknown path is 404 NOT_FOUND, whatever the method', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const response = await call(s.t.app, method, '/no/such/route');
      assert.equal(response.status, 404);
      assert.deepEqual(response.body, { detail: 'Not Found', code: 'NOT_FOUND' });
    }
  });
});

describe('part 2: long path parameters', () => {
  test('a row_id of 1,000 characters is read (400 for a non-UUID id); 1,001 is 414 URI_TOO_LONG; never echoed', async () => {
    const at = await call(s.t.app, 'PATCH', `/tables/${tableId}/data/${'r'.repeat(1000)}`, {
      token,
      body: { title: 'y' },
    });
    assert.equal(at.status, 400, JSON.stringify(at.body));
    assert.equal(at.body.code, 'INVALID_VALUE');
    const over = await call(s.t.app, 'DELETE', `/tables/${tableId}/data/${'r'.repeat(1001)}`, { token });
    assert.equal(over.status, 414);
    assert.deepEqual(over.body, { detail: 'URL too long', code: 'URI_TOO_LONG' });
    assert.ok(!JSON.stringify(at.body).includes('r'.repeat(100)), 'the row id is not echoed whole');
  });

  test('a column_name of 200 characters is looked up; longer is 404; never echoed', async () => {
    for (const length of [200, 201, 999]) {
      const name = 'c'.repeat(length);
      const response = await call(s.t.app, 'DELETE', `/tables/${tableId}/columns/${name}`, { token });
      assert.equal(response.status, 404, `${length}: ${JSON.stringify(response.body)}`);
      assertErrorBody(response.body, String(length));
      assert.ok(!JSON.stringify(response.body).includes(name), `${length}: not echoed`);
    }
  });
});

/** One raw HTTP/1.1 exchange: what the server answered before closing (or after `waitMs`). */
function raw(target: number, request: string | Buffer, waitMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port: target }, () => socket.write(request));
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'));
    socket.setTimeout(waitMs, () => {
      socket.destroy();
      done();
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', reject);
  });
}

/** Every HTTP response in `text`: status, headers, and the body parsed as JSON. */
function responses(text: string) {
  const found: { status: number; headers: Record<string, string>; body: unknown }[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const lines = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyText = rest.slice(end + 4, end + 4 + length);
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      body = bodyText;
    }
    found.push({ status: Number(lines[0]!.split(' ')[1]), headers, body });
    rest = rest.slice(end + 4 + length);
  }
  return found;
}

describe('part 2: what Node and Fastify refuse answers JSON too', () => {
  const head = (line: string, extra = '') =>
    `${line}\r\nHost: 127.0.0.1\r\nX-API-Key: ${API_KEY}\r\n${extra}`;

  test('a body longer than its Content-Length: the rest is a malformed request, 400 BAD_REQUEST in JSON', async () => {
    const body = '{"email":"a@b.c","password":"x"}';
    const text = await raw(
      port,
      `${head('POST /users/token HTTP/1.1', 'Content-Type: application/json\r\nContent-Length: 5\r\n')}\r\n${body}`,
    );
    const answers = responses(text);
    assert.ok(answers.length >= 1, text);
    for (const answer of answers) {
      assert.ok(answer.status >= 400 && answer.status < 500, text);
      assertErrorBody(answer.body, text);
      assert.match(answer.headers['content-type'] ?? '', /application\/json/);
    }
    assert.equal(answers.at(-1)!.status, 400);
    assert.equal((answers.at(-1)!.body as { code: string }).code, 'BAD_REQUEST');
  });

  test('a malformed request line is 400 BAD_REQUEST in JSON, with the security headers', async () => {
    const [answer] = responses(await raw(port, 'GARBAGE\r\n\r\n'));
    assert.equal(answer?.status, 400);
    assertErrorBody(answer.body, 'garbage');
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
  });

  test('a URL too long for the parser is 414 URI_TOO_LONG; headers too large are 431 HEADERS_TOO_LARGE', async () => {
    const long = 'a'.repeat(20_000);
    const [uri] = responses(await raw(port, `GET /tables/?x=${long} HTTP/1.1\r\nHost: x\r\n\r\n`));
    assert.equal(uri?.status, 414);
    assert.deepEqual(uri.body, { detail: 'URI Too Long', code: 'URI_TOO_LONG' });
    const [headers] = responses(
      await raw(port, `${head('GET /tables/ HTTP/1.1', `X-Big: ${long}\r\n`)}\r\n`),
    );
    assert.equal(headers?.status, 431);
    assert.deepEqual(headers.body, { detail: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE' });
  });

  test('415 and 413 answer JSON with their codes', async () => {
    const form = await call(s.t.app, 'POST', '/users/token', {
      body: 'email=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    assert.equal(form.body.code, 'UNSUPPORTED_MEDIA_TYPE');
    const big = await call(s.t.app, 'POST', '/users/token', {
      body: JSON.stringify({ email: 'x'.repeat(2 * 1024 * 1024) }),
      headers: JSON_TYPE,
    });
    assert.equal(big.status, 413);
    assert.equal(big.body.code, 'PAYLOAD_TOO_LARGE');
  });

  test('realtime upgrades the proxy refuses answer JSON: wrong method 405, missing key or version 400', async () => {
    const upgrade = (method: string, extra: string) =>
      `${method} /realtime/socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: x\r\nX-API-Key: ${API_KEY}\r\n` +
      `Connection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;
    const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
    const cases: [string, string, number, string][] = [
      ['POST', `${key}Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n`, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', 'Sec-WebSocket-Version: 13\r\n', 400, 'BAD_REQUEST'],
      ['GET', `Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n`, 400, 'BAD_REQUEST'],
      ['GET', key, 400, 'BAD_REQUEST'],
    ];
    for (const [method, extra, status, code] of cases) {
      const [answer] = responses(await raw(port, upgrade(method, extra)));
      assert.equal(answer?.status, status, `${method} ${extra}`);
      assert.match(answer.headers['content-type'] ?? '', /application\/json/);
      assertErrorBody(answer.body, extra);
      assert.equal(answer.body.code, code);
    }
  });

  test('an upgrade whose URL cannot be read is 400 in JSON, and the backend keeps serving', async () => {
    for (const target of ['//[', 'http://[', 'http://a:99999/realtime/socket']) {
      const text = await raw(
        port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      const [answer] = responses(text);
      assert.ok(answer && answer.status >= 400 && answer.status < 500, `${target}: ${text}`);
      assertErrorBody(answer.body, target);
    }
    assert.equal((await call(s.t.app, 'GET', '/health')).status, 200);
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
  });

  test('the storage service answers its own refusals in JSON, without echoing the URL', async () => {
    const storagePort = await s.storage.listen();
    const [garbage] = responses(await raw(storagePort, 'GARBAGE\r\n\r\n'));
    assert.equal(garbage?.status, 400);
    assertErrorBody(garbage.body, 'storage garbage');
    const [badUrl] = responses(
      await raw(storagePort, 'GET /objects/%zz-secret-path HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    assert.ok(badUrl && badUrl.status >= 400 && badUrl.status < 500, JSON.stringify(badUrl));
    assertErrorBody(badUrl.body, 'storage bad url');
    assert.ok(!JSON.stringify(badUrl.body).includes('secret-path'));
  });
});
