// `POST /storage/files/upload` with a multipart/form-data body (`curl -F file=@x`): the file part's bytes are
// stored, byte for byte (binary, CRLF, boundary-like bytes), never the envelope; its filename and Content-Type
// serve when the query gives none; exactly one file part and no other field; limits apply to the part's bytes; a
// bad or interrupted form leaves nothing. Real HTTP (undici, raw sockets, and curl itself where installed).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { FormData, request } from 'undici';
import { API_KEY, call } from './helpers.ts';
import {
  createBucket,
  download,
  eventually,
  filesOnDisk,
  sendAndDrop,
  type StorageStack,
  startWithAdminBucket,
  upload,
} from './storage-helpers.ts';

let s: StorageStack;
let token: string;
let bucketId: string;
const BUCKET = 'forms';
const BOUNDARY = '----selfdb-boundary-7MA4YWxkTrZu0gW';

before(async () => {
  ({ s, token, bucketId } = await startWithAdminBucket(BUCKET));
});
after(() => s.close());

/** Bytes that would trip a parser that buffers lines or looks for the boundary carelessly. */
function trickyBytes(): Buffer {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  return Buffer.concat([
    Buffer.from('\r\n'),
    all,
    // Near misses of the delimiter (CRLF, two dashes, the whole boundary), which only ends the part when exact.
    Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}X`),
    Buffer.from(`x--${BOUNDARY}`),
    Buffer.from('\r\n--'),
    Buffer.from(`--${BOUNDARY}--\r\n`.slice(0, 20)),
    Buffer.from('\r\n\r\nContent-Disposition: form-data; name="evil"\r\n\r\n'),
    randomBytes(200_000),
    Buffer.from(`\r\n-${BOUNDARY}`),
    Buffer.from('\r\n'),
  ]);
}

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  headers?: string[];
  body: Buffer | string;
}

/** A multipart/form-data body built by hand, exactly as given. */
function form(parts: Part[], options: { closing?: boolean } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const head = [
      `--${BOUNDARY}`,
      `Content-Disposition: ${disposition}`,
      ...(part.contentType ? [`Content-Type: ${part.contentType}`] : []),
      ...(part.headers ?? []),
      '',
      '',
    ].join('\r\n');
    chunks.push(Buffer.from(head), Buffer.from(part.body), Buffer.from('\r\n'));
  }
  if (options.closing !== false) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

/** POST of a form body over real HTTP (as a stream of small chunks, so nothing arrives in one piece). */
async function postForm(
  body: Buffer,
  query: Record<string, string> = {},
  options: { bucket?: string; contentType?: string; bearer?: string } = {},
) {
  const params = new URLSearchParams({ bucket_id: options.bucket ?? bucketId, ...query });
  const chunks = Array.from({ length: Math.ceil(body.length / 7919) }, (_, i) =>
    body.subarray(i * 7919, (i + 1) * 7919),
  );
  const response = await request(`${s.url}/storage/files/upload?${params}`, {
    method: 'POST',
    headers: {
      'x-api-key': API_KEY,
      authorization: `Bearer ${options.bearer ?? token}`,
      'content-type': options.contentType ?? `multipart/form-data; boundary=${BOUNDARY}`,
    },
    body: Readable.from(chunks),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: JSON.parse(text || '{}') as Record<string, unknown> };
}

/** Everything a refused upload must not have changed. */
async function snapshot() {
  return {
    files: (await call(s.t.app, 'GET', '/storage/files/total-count', { token })).body,
    stats: (await call(s.t.app, 'GET', '/storage/files/stats', { token })).body,
    disk: filesOnDisk(s.storage.root),
  };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function storedBytes(path: string) {
  const got = await download(s.t.app, `/storage/files/download/${BUCKET}/${encodeURI(path)}`, { token });
  assert.equal(got.status, 200);
  return got.bytes;
}

describe('the file part is stored, byte for byte', () => {
  test('binary content with CRLF and boundary-like bytes; filename and type from the part', async () => {
    const bytes = trickyBytes();
    const response = await postForm(
      form([{ name: 'file', filename: 'tricky.bin', contentType: 'image/png', body: bytes }]),
    );
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.body.path, 'tricky.bin');
    assert.equal(response.body.size, bytes.length);
    const file = (await call(s.t.app, 'GET', `/storage/files/${String(response.body.file_id)}`, { token }))
      .body;
    assert.equal(file.mime_type, 'image/png');
    assert.equal(file.checksum_sha256, sha256(bytes));
    assert.deepEqual(await storedBytes('tricky.bin'), bytes);
  });

  test('query parameters win over the part: filename, path and content_type', async () => {
    const bytes = randomBytes(5000);
    const response = await postForm(
      form([{ name: 'upload', filename: 'ignored.bin', contentType: 'image/png', body: bytes }]),
      { filename: 'named.dat', path: 'dir/sub/named.dat', content_type: 'application/pdf' },
    );
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.body.path, 'dir/sub/named.dat');
    const file = (await call(s.t.app, 'GET', `/storage/files/${String(response.body.file_id)}`, { token }))
      .body;
    assert.equal(file.mime_type, 'application/pdf');
    assert.equal(file.name, 'named.dat');
    assert.deepEqual(await storedBytes('dir/sub/named.dat'), bytes);
  });

  test('an empty file part, a UTF-8 filename, a path in the filename reduced to its name', async () => {
    const empty = await postForm(form([{ name: 'file', filename: 'empty.txt', body: '' }]));
    assert.equal(empty.status, 201, JSON.stringify(empty.body));
    assert.equal(empty.body.size, 0);
    const unicode = await postForm(form([{ name: 'file', filename: 'résumé 文件.txt', body: 'hé' }]));
    assert.equal(unicode.status, 201, JSON.stringify(unicode.body));
    assert.equal(unicode.body.path, 'résumé 文件.txt');
    const traversal = await postForm(form([{ name: 'file', filename: '../../etc/passwd', body: 'x' }]));
    assert.equal(traversal.status, 201, JSON.stringify(traversal.body));
    assert.equal(traversal.body.path, 'passwd');
    assert.equal((await storedBytes('passwd')).toString(), 'x');
  });

  test('a taken name becomes "name (1).ext", as with a raw body', async () => {
    const first = await postForm(form([{ name: 'file', filename: 'twice.txt', body: 'one' }]));
    const second = await postForm(form([{ name: 'file', filename: 'twice.txt', body: 'two' }]));
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.body.path, 'twice (1).txt');
    assert.equal(second.body.original_path, 'twice.txt');
  });

  test("undici's FormData (as a browser sends it), 3 MiB streamed", async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const data = new FormData();
    data.append('file', new Blob([bytes], { type: 'application/zip' }), 'archive.zip');
    const response = await request(`${s.url}/storage/files/upload?bucket_id=${bucketId}`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${token}` },
      body: data,
    });
    const body = (await response.body.json()) as Record<string, unknown>;
    assert.equal(response.statusCode, 201, JSON.stringify(body));
    assert.equal(body.size, bytes.length);
    assert.deepEqual(await storedBytes('archive.zip'), bytes);
  });

  test('curl -F file=@x, the command users type', async (t) => {
    const curl = await promisify(execFile)('curl', ['--version']).catch(() => null);
    if (!curl) {
      t.skip('curl is not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'selfdb-curl-'));
    try {
      const bytes = trickyBytes();
      writeFileSync(join(dir, 'from curl.bin'), bytes);
      const { stdout } = await promisify(execFile)('curl', [
        '-sS',
        '-H',
        `X-API-Key: ${API_KEY}`,
        '-H',
        `Authorization: Bearer ${token}`,
        '-F',
        `file=@${join(dir, 'from curl.bin')}`,
        `${s.url}/storage/files/upload?bucket_id=${bucketId}`,
      ]);
      const body = JSON.parse(stdout) as Record<string, unknown>;
      assert.equal(body.path, 'from curl.bin', stdout);
      assert.equal(body.size, bytes.length);
      assert.deepEqual(await storedBytes('from curl.bin'), bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a form that is not exactly one file part is refused, and changes nothing', () => {
  const cases: [string, Buffer, string?][] = [
    ['no part at all', form([])],
    ['only a text field', form([{ name: 'file', body: 'not a file' }])],
    [
      'a text field before the file',
      form([
        { name: 'bucket_id', body: 'x' },
        { name: 'file', filename: 'a.txt', body: 'a' },
      ]),
    ],
    [
      'a text field after the file',
      form([
        { name: 'file', filename: 'a.txt', body: 'a' },
        { name: 'note', body: 'x' },
      ]),
    ],
    [
      'two file parts',
      form([
        { name: 'file', filename: 'a.txt', body: 'a' },
        { name: 'file', filename: 'b.txt', body: 'b' },
      ]),
    ],
    [
      'no closing boundary',
      form([{ name: 'file', filename: 'a.txt', body: randomBytes(50_000) }], { closing: false }),
    ],
    [
      'a part without a filename and no filename query parameter',
      form([{ name: 'file', filename: '', body: 'a' }]),
    ],
    [
      'a base64 transfer encoding',
      form([
        { name: 'file', filename: 'a.txt', headers: ['Content-Transfer-Encoding: base64'], body: 'YQ==' },
      ]),
    ],
    ['garbage', randomBytes(10_000)],
  ];
  for (const [name, body] of cases) {
    test(name, async () => {
      const before = await snapshot();
      const response = await postForm(body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.code, 'MULTIPART_INVALID', JSON.stringify(response.body));
      assert.equal(typeof response.body.detail, 'string');
      assert.ok(await eventually(async () => JSON.stringify(await snapshot()) === JSON.stringify(before)));
    });
  }

  test('a multipart Content-Type without a boundary', async () => {
    const response = await postForm(
      form([{ name: 'file', filename: 'a.txt', body: 'a' }]),
      {},
      {
        contentType: 'multipart/form-data',
      },
    );
    assert.equal(response.status, 400);
    assert.equal(response.body.code, 'MULTIPART_INVALID');
  });

  test('a raw body still needs the filename query parameter (422, as SelfDB 0.0.5)', async () => {
    const response = await s.t.app.inject({
      method: 'POST',
      url: `/storage/files/upload?bucket_id=${bucketId}`,
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      payload: 'x',
    });
    assert.equal(response.statusCode, 422);
    assert.equal(response.json().code, 'VALIDATION_FAILED');
  });

  test('a client that drops the connection mid-part leaves no file and no temp file', async () => {
    const before = await snapshot();
    const body = form([{ name: 'file', filename: 'dropped.bin', body: randomBytes(400_000) }]);
    const head =
      `POST /storage/files/upload?bucket_id=${bucketId} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${API_KEY}\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    await sendAndDrop(Number(new URL(s.url).port), head, body.subarray(0, 300_000));
    assert.ok(await eventually(async () => JSON.stringify(await snapshot()) === JSON.stringify(before)));
  });
});

describe("the bucket's rules apply to the file part", () => {
  let limited: string;
  before(async () => {
    limited = await createBucket(s.t.app, token, 'forms-limited', {
      file_size_limit: 10_000,
      allowed_mime_types: ['image/*'],
    });
  });

  test("the size limit counts the part's bytes, not the envelope's", async () => {
    const exact = await postForm(
      form([{ name: 'file', filename: 'exact.png', contentType: 'image/png', body: randomBytes(10_000) }]),
      {},
      { bucket: limited },
    );
    assert.equal(exact.status, 201, JSON.stringify(exact.body));
    const before = await snapshot();
    const over = await postForm(
      form([{ name: 'file', filename: 'over.png', contentType: 'image/png', body: randomBytes(10_001) }]),
      {},
      { bucket: limited },
    );
    assert.equal(over.status, 413);
    assert.equal(over.body.code, 'FILE_TOO_LARGE');
    assert.ok(await eventually(async () => JSON.stringify(await snapshot()) === JSON.stringify(before)));
  });

  test("the part's Content-Type is checked against the bucket's types", async () => {
    const refused = await postForm(
      form([{ name: 'file', filename: 'notes.txt', contentType: 'text/plain', body: 'x' }]),
      {},
      { bucket: limited },
    );
    assert.equal(refused.status, 415);
    assert.equal(refused.body.code, 'MIME_TYPE_NOT_ALLOWED');
    const raw = await upload(s.t.app, limited, 'raw.png', 'x', { token, contentType: 'image/png' });
    assert.equal(raw.status, 201);
  });
});

test('the OpenAPI document describes both bodies of the upload', async () => {
  const doc = (await call(s.t.app, 'GET', '/openapi.json')).body as unknown as {
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
  };
  const content = doc.paths['/storage/files/upload']?.post?.requestBody?.content ?? {};
  assert.deepEqual(Object.keys(content).sort(), ['application/octet-stream', 'multipart/form-data']);
});
