// Bad input and faults of storage (issue 4): per-bucket limits enforced while streaming (413/415), checksums,
// traversal and malformed names, a client killed mid-upload, and a storage service that is down (503). Each case
// checks the answer and that nothing was recorded: no row, no bytes, no temp file, statistics unchanged.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { request } from 'undici';
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
const BUCKET = 'faults';

before(async () => {
  ({ s, token, bucketId } = await startWithAdminBucket(BUCKET));
});
after(() => s.close());

/** Everything that could have changed: rows, statistics, bytes on disk. */
async function snapshot() {
  return {
    files: (await call(s.t.app, 'GET', '/storage/files/total-count', { token })).body,
    stats: (await call(s.t.app, 'GET', '/storage/files/stats', { token })).body,
    buckets: (await call(s.t.app, 'GET', '/storage/buckets/count', { token })).body,
    disk: filesOnDisk(s.storage.root),
  };
}

/** A chunked upload over real HTTP (no Content-Length: the limit can only be enforced while streaming). */
async function streamUpload(
  id: string,
  filename: string,
  size: number,
  contentType = 'application/octet-stream',
) {
  const query = new URLSearchParams({ bucket_id: id, filename, content_type: contentType });
  const chunks = Array.from({ length: Math.ceil(size / 65536) }, (_, i) =>
    Buffer.alloc(Math.min(65536, size - i * 65536), 7),
  );
  const response = await request(`${s.url}/storage/files/upload?${query}`, {
    method: 'POST',
    headers: {
      'x-api-key': API_KEY,
      authorization: `Bearer ${token}`,
      'content-type': 'application/octet-stream',
    },
    body: Readable.from(chunks),
  });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}

describe('per-bucket limits', () => {
  let limited: string;
  before(async () => {
    limited = await createBucket(s.t.app, token, 'limited', {
      file_size_limit: 100_000,
      allowed_mime_types: ['image/*', 'application/pdf'],
    });
  });

  test('the bucket reports its limits', async () => {
    const bucket = (await call(s.t.app, 'GET', `/storage/buckets/${limited}`, { token })).body;
    assert.equal(bucket.file_size_limit, 100_000);
    assert.deepEqual(bucket.allowed_mime_types, ['image/*', 'application/pdf']);
  });

  test('over the size limit: 413 when announced, and while streaming when not; nothing kept', async () => {
    const before = await snapshot();
    const announced = await upload(s.t.app, limited, 'big.png', Buffer.alloc(100_001), {
      token,
      contentType: 'image/png',
    });
    assert.equal(announced.status, 413);
    assert.equal(announced.body.code, 'FILE_TOO_LARGE');
    const streamed = await streamUpload(limited, 'big-streamed.png', 1_000_000, 'image/png');
    assert.equal(streamed.status, 413, JSON.stringify(streamed.body));
    assert.equal(streamed.body.code, 'FILE_TOO_LARGE');
    assert.ok(await eventually(async () => JSON.stringify(await snapshot()) === JSON.stringify(before)));
    const exact = await upload(s.t.app, limited, 'exact.png', Buffer.alloc(100_000), {
      token,
      contentType: 'image/png',
    });
    assert.equal(exact.status, 201);
  });

  test('a type the bucket does not take: 415; types match by essence, any case, with wildcards', async () => {
    const refused = await upload(s.t.app, limited, 'notes.txt', 'text', { token, contentType: 'text/plain' });
    assert.equal(refused.status, 415);
    assert.equal(refused.body.code, 'MIME_TYPE_NOT_ALLOWED');
    for (const type of ['application/pdf; charset=binary', 'IMAGE/PNG', 'image/svg+xml']) {
      assert.equal(
        (await upload(s.t.app, limited, 'ok', 'x', { token, contentType: type })).status,
        201,
        type,
      );
    }
  });

  test('limits change with PATCH; null removes them; bad limits are 422', async () => {
    const patched = await call(s.t.app, 'PATCH', `/storage/buckets/${limited}`, {
      token,
      body: { file_size_limit: null, allowed_mime_types: null },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.file_size_limit, null);
    assert.equal(
      (
        await upload(s.t.app, limited, 'free.txt', Buffer.alloc(200_000), {
          token,
          contentType: 'text/plain',
        })
      ).status,
      201,
    );
    for (const body of [
      { file_size_limit: -1 },
      { allowed_mime_types: ['image'] },
      { allowed_mime_types: ['a/b\r\nx: y'] },
    ]) {
      assert.equal(
        (await call(s.t.app, 'PATCH', `/storage/buckets/${limited}`, { token, body })).status,
        422,
        JSON.stringify(body),
      );
    }
  });
});

describe('bad input changes nothing', () => {
  test('paths: traversal, encoded traversal, absolute, NUL, over-long', async () => {
    const before = await snapshot();
    const cases: [string, number][] = [
      ['../escape.txt', 400],
      ['a/../../escape.txt', 400],
      ['/etc/passwd', 400],
      ['nul\u0000byte.txt', 400],
      ['new\nline.txt', 400],
      ['back\\slash', 400],
      [`${'x'.repeat(256)}.txt`, 400],
      ['a//b', 400],
      ['.selfdb-upload-x.tmp', 400],
      [`${'d/'.repeat(500)}x`, 422],
    ];
    for (const [path, status] of cases) {
      const response = await upload(s.t.app, bucketId, 'f.txt', 'x', { token, path });
      assert.equal(response.status, status, `${JSON.stringify(path)}: ${JSON.stringify(response.body)}`);
      if (status === 400) assert.equal(response.body.code, 'INVALID_PATH');
    }
    // Percent-encoded once in the query string: the server decodes it to ../ and refuses it.
    const encoded = await s.t.app.inject({
      method: 'POST',
      url: `/storage/files/upload?bucket_id=${bucketId}&filename=x&path=%2e%2e%2fescape.txt`,
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      payload: 'x',
    });
    assert.equal(encoded.statusCode, 400);
    assert.deepEqual(await snapshot(), before);
  });

  test('download paths with encoded traversal are refused, sent as is over a socket', async () => {
    await upload(s.t.app, bucketId, 'safe.txt', 'safe', { token });
    const port = Number(new URL(s.url).port);
    for (const path of ['%2e%2e/%2e%2e/etc/passwd', '..%2f..%2fetc%2fpasswd', 'safe.txt%00.jpg']) {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port }, () => {
          // write, not end: the server drops a half-closed connection before answering.
          socket.write(
            `GET /storage/files/download/${BUCKET}/${path} HTTP/1.1\r\nHost: x\r\nx-api-key: ${API_KEY}\r\n` +
              `authorization: Bearer ${token}\r\nconnection: close\r\n\r\n`,
          );
        });
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(raw, /^HTTP\/1\.1 400 /, `${path}: ${raw.split('\r\n')[0]}`);
      assert.match(raw, /INVALID_PATH/);
    }
  });

  test('bucket names that break the upstream pattern; duplicates; malformed ids and types', async () => {
    const before = await snapshot();
    for (const name of ['Bad_Name', 'ab', '-abc', 'abc-', 'a'.repeat(64), '../etc', 'has space', 'ünï']) {
      const response = await call(s.t.app, 'POST', '/storage/buckets/', { token, body: { name } });
      assert.equal(response.status, 422, name);
      assert.equal(response.body.code, 'VALIDATION_FAILED');
    }
    const duplicate = await call(s.t.app, 'POST', '/storage/buckets/', { token, body: { name: BUCKET } });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.code, 'BUCKET_EXISTS');
    const extra = await call(s.t.app, 'POST', '/storage/buckets/', {
      token,
      body: { name: 'extra-field', owner_id: 'x' },
    });
    assert.equal(extra.status, 422);
    const badType = await upload(s.t.app, bucketId, 'x', 'x', {
      token,
      contentType: 'text/plain\r\nx-evil: 1',
    });
    assert.equal(badType.status, 422);
    const badId = await upload(s.t.app, 'not-a-uuid', 'x', 'x', { token });
    assert.equal(badId.status, 422);
    const missing = await upload(s.t.app, '00000000-0000-4000-8000-000000000000', 'x', 'x', { token });
    assert.equal(missing.status, 404);
    assert.equal((await download(s.t.app, '/storage/files/download/BAD/x', { token })).status, 404);
    assert.deepEqual(await snapshot(), before);
  });

  test('X-Content-SHA256: bytes that do not match are not kept', async () => {
    const before = await snapshot();
    const wrong = createHash('sha256').update('other').digest('hex');
    const response = await upload(s.t.app, bucketId, 'checked.txt', 'actual', {
      token,
      headers: { 'x-content-sha256': wrong },
    });
    assert.equal(response.status, 400);
    assert.equal(response.body.code, 'CHECKSUM_MISMATCH');
    assert.deepEqual(await snapshot(), before);
    const right = createHash('sha256').update('actual').digest('hex');
    const ok = await upload(s.t.app, bucketId, 'checked.txt', 'actual', {
      token,
      headers: { 'x-content-sha256': right },
    });
    assert.equal(ok.status, 201);
  });
});

test('a client killed mid-upload leaves no row, no visible file and no temp file', async () => {
  const before = await snapshot();
  const port = Number(new URL(s.url).port);
  const size = 8 * 1024 * 1024;
  // Long enough for the bytes to reach the storage service's temp file, then the client dies.
  await sendAndDrop(
    port,
    `POST /storage/files/upload?bucket_id=${bucketId}&filename=killed.bin HTTP/1.1\r\nHost: x\r\n` +
      `x-api-key: ${API_KEY}\r\nauthorization: Bearer ${token}\r\ncontent-type: application/octet-stream\r\n` +
      `content-length: ${size}\r\n\r\n`,
    Buffer.alloc(1024 * 1024, 1),
    300,
  );
  const clean = await eventually(async () => JSON.stringify(await snapshot()) === JSON.stringify(before));
  assert.ok(clean, JSON.stringify({ before, after: await snapshot() }));
  assert.equal(
    (await download(s.t.app, `/storage/files/download/${BUCKET}/killed.bin`, { token })).status,
    404,
  );
});

test('when the row cannot be written, the bytes already stored are removed', async () => {
  // A database that refuses this one file (as a full disk or a broken constraint would).
  const db = new pg.Client({ connectionString: s.t.db.directUrl });
  await db.connect();
  try {
    await db.query(`CREATE FUNCTION refuse_file() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name = 'refused.bin' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await db.query(
      'CREATE TRIGGER refuse_file BEFORE INSERT ON files FOR EACH ROW EXECUTE FUNCTION refuse_file()',
    );
    const before = await snapshot();
    const response = await upload(s.t.app, bucketId, 'refused.bin', Buffer.alloc(10_000, 1), { token });
    assert.equal(response.status, 500);
    assert.deepEqual(await snapshot(), before);
  } finally {
    await db.query('DROP TRIGGER IF EXISTS refuse_file ON files').catch(() => {});
    await db.end();
  }
});

test('a storage service that is down: 503, and nothing recorded or lost', async () => {
  const keep = await upload(s.t.app, bucketId, 'kept.txt', 'kept', { token });
  assert.equal(keep.status, 201);
  await s.storage.stop();
  const before = await snapshot();
  const expect503 = (response: { status: number; body: Record<string, unknown> }, what: string) => {
    assert.equal(response.status, 503, `${what}: ${JSON.stringify(response.body)}`);
    assert.equal(response.body.code, 'STORAGE_UNAVAILABLE');
    assert.equal(response.body.detail, 'Storage service unavailable');
  };
  expect503(await upload(s.t.app, bucketId, 'lost.txt', 'lost', { token }), 'upload');
  expect503(
    await call(s.t.app, 'POST', '/storage/buckets/', { token, body: { name: 'never-made' } }),
    'create bucket',
  );
  expect503(await call(s.t.app, 'DELETE', `/storage/files/${keep.body.file_id}`, { token }), 'delete file');
  expect503(await call(s.t.app, 'DELETE', `/storage/buckets/${bucketId}`, { token }), 'delete bucket');
  const down = await download(s.t.app, `/storage/files/download/${BUCKET}/kept.txt`, { token });
  assert.equal(down.status, 503);
  assert.deepEqual(await snapshot(), before);
  assert.equal((await call(s.t.app, 'GET', `/storage/files/${keep.body.file_id}`, { token })).status, 200);
  assert.equal((await call(s.t.app, 'GET', `/storage/buckets/${bucketId}`, { token })).status, 200);
});
