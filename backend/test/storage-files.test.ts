// Files through the backend: byte-for-byte round trips (0 bytes to 64 MiB, streamed over real HTTP), SelfDB 0.0.5's
// renaming and response shapes, statistics that stay true, Range/ETag through the backend, per-bucket limits, and
// the faults of the issue: killed uploads, bad paths and names.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { API_KEY, call } from './helpers.ts';
import {
  createBucket,
  download,
  filesOnDisk,
  type StorageStack,
  startWithAdminBucket,
  upload,
} from './storage-helpers.ts';

let s: StorageStack;
let token: string;
let bucketId: string;
const BUCKET = 'files-test';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const fileRows = async (id = bucketId) =>
  (await call(s.t.app, 'GET', `/storage/files/?bucket_id=${id}&page_size=1000`, { token }))
    .body as unknown as {
    files: { id: string; path: string; size: number }[];
    total: number;
  };

before(async () => {
  ({ s, token, bucketId } = await startWithAdminBucket(BUCKET));
});
after(() => s.close());

/** A stream of `size` pseudo-random bytes (fast, repeatable) and its SHA-256, computed as it is produced. */
function generated(size: number, seed = 1) {
  const block = createHash('sha512').update(String(seed)).digest();
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i += block.length) block.copy(chunk, i);
  const hash = createHash('sha256');
  let sent = 0;
  const stream = Readable.from(
    (function* () {
      while (sent < size) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        // A varying first byte per chunk, so chunks differ and a reordering would be caught.
        const copy = Buffer.from(piece);
        copy[0] = sent % 251;
        sent += copy.length;
        hash.update(copy);
        yield copy;
      }
    })(),
  );
  return { stream, digest: () => hash.digest('hex') };
}

describe('round trips', () => {
  for (const size of [0, 1, 4096, 1024 * 1024 + 3]) {
    test(`${size} bytes of binary come back identical, with size, type and checksum recorded`, async () => {
      const bytes = randomBytes(size);
      const path = `binary/${size}.bin`;
      const up = await upload(s.t.app, bucketId, `${size}.bin`, bytes, {
        token,
        path,
        contentType: 'image/x-test',
      });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.deepEqual(Object.keys(up.body).sort(), [
        'bucket',
        'file_id',
        'message',
        'original_path',
        'path',
        'size',
        'success',
        'upload_time',
        'url',
      ]);
      assert.equal(up.body.size, size);
      assert.equal(up.body.url, `/storage/files/download/${BUCKET}/binary/${size}.bin`);
      const meta = (await call(s.t.app, 'GET', `/storage/files/${up.body.file_id}`, { token })).body;
      assert.equal(meta.checksum_sha256, sha256(bytes));
      assert.equal(meta.mime_type, 'image/x-test');
      assert.equal(meta.name, `${size}.bin`);
      const down = await download(s.t.app, String(up.body.url), { token });
      assert.equal(down.status, 200);
      assert.ok(down.bytes.equals(bytes), 'same bytes');
      assert.equal(down.headers['content-type'], 'image/x-test');
      assert.equal(down.headers['content-length'], String(size));
      assert.equal(
        down.headers['content-disposition'],
        `attachment; filename="${size}.bin"; filename*=UTF-8''${size}.bin`,
      );
    });
  }

  test('64 MiB streamed over real HTTP both ways (chunked upload, no Content-Length)', async () => {
    const size = 64 * 1024 * 1024;
    const source = generated(size);
    const query = new URLSearchParams({ bucket_id: bucketId, filename: 'large.bin' });
    const up = await request(`${s.url}/storage/files/upload?${query}`, {
      method: 'POST',
      headers: {
        'x-api-key': API_KEY,
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
      },
      body: source.stream,
    });
    const result = (await up.body.json()) as Record<string, unknown>;
    assert.equal(up.statusCode, 201, JSON.stringify(result));
    assert.equal(result.size, size);
    const expected = source.digest();
    const down = await request(`${s.url}/storage/files/download/${BUCKET}/large.bin`, {
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${token}` },
    });
    assert.equal(down.statusCode, 200);
    assert.equal(down.headers.etag, `"${expected}"`);
    const hash = createHash('sha256');
    let received = 0;
    for await (const chunk of down.body) {
      hash.update(chunk as Buffer);
      received += (chunk as Buffer).length;
    }
    assert.equal(received, size);
    assert.equal(hash.digest('hex'), expected);
  });

  test('long paths (deep folders, 255-byte names) work end to end', async () => {
    const path = `${'folder/'.repeat(100)}${'n'.repeat(240)}.bin`;
    const up = await upload(s.t.app, bucketId, 'x', 'deep', { token, path });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const down = await download(s.t.app, String(up.body.url), { token });
    assert.equal(down.status, 200);
    assert.equal(down.bytes.toString(), 'deep');
  });

  test('unicode names and spaces work end to end', async () => {
    const path = 'fotos del año/été 日本 📷.jpg';
    const up = await upload(s.t.app, bucketId, 'ignored.jpg', 'unicode bytes', {
      token,
      path,
      contentType: 'image/jpeg',
    });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.path, path);
    assert.ok(filesOnDisk(s.storage.root).includes(`${BUCKET}/${path}`));
    const down = await download(s.t.app, `/storage/files/download/${BUCKET}/${encodePath(path)}`, { token });
    assert.equal(down.bytes.toString(), 'unicode bytes');
    assert.equal(
      down.headers['content-disposition'],
      `attachment; filename="_t_ __ _.jpg"; filename*=UTF-8''${encodeURIComponent('été 日本 📷.jpg')}`,
    );
  });
});

describe('SelfDB 0.0.5 behaviour', () => {
  test('a taken path is renamed name (1).ext, name (2).ext, and says so', async () => {
    const first = await upload(s.t.app, bucketId, 'report.pdf', 'v1', { token, path: 'docs/report.pdf' });
    assert.equal(first.body.path, 'docs/report.pdf');
    assert.equal(first.body.original_path, null);
    const second = await upload(s.t.app, bucketId, 'report.pdf', 'v2', { token, path: 'docs/report.pdf' });
    assert.equal(second.body.path, 'docs/report (1).pdf');
    assert.equal(second.body.original_path, 'docs/report.pdf');
    assert.equal(
      second.body.message,
      "File uploaded successfully (renamed from 'docs/report.pdf' to avoid overwrite)",
    );
    const third = await upload(s.t.app, bucketId, 'report.pdf', 'v3', { token, path: 'docs/report.pdf' });
    assert.equal(third.body.path, 'docs/report (2).pdf');
    const original = await download(s.t.app, `/storage/files/download/${BUCKET}/docs/report.pdf`, { token });
    assert.equal(original.bytes.toString(), 'v1');
  });

  test('path defaults to the filename; content_type defaults to application/octet-stream', async () => {
    const up = await upload(s.t.app, bucketId, 'plain-name.dat', 'x', { token });
    assert.equal(up.body.path, 'plain-name.dat');
    const meta = (await call(s.t.app, 'GET', `/storage/files/${up.body.file_id}`, { token })).body;
    assert.equal(meta.mime_type, 'application/octet-stream');
  });

  test('PATCH replaces the metadata', async () => {
    const up = await upload(s.t.app, bucketId, 'meta.txt', 'x', { token });
    const id = String(up.body.file_id);
    await call(s.t.app, 'PATCH', `/storage/files/${id}`, { token, body: { a: 1, b: 'two' } });
    const patched = await call(s.t.app, 'PATCH', `/storage/files/${id}`, { token, body: { c: [3] } });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.metadata, { c: [3] });
  });

  test('lists page, sort and search; counts agree', async () => {
    const id = await createBucket(s.t.app, token, 'listing');
    for (const [name, size] of [
      ['b.txt', 3],
      ['a.txt', 1],
      ['c.log', 2],
    ] as const) {
      await upload(s.t.app, id, name, 'x'.repeat(size), { token });
    }
    const page = (query: string) =>
      call(s.t.app, 'GET', `/storage/files/?bucket_id=${id}&${query}`, { token });
    const bySize = (await page('sort_by=size&sort_order=asc')).body as unknown as {
      files: { name: string }[];
    };
    assert.deepEqual(
      bySize.files.map((f) => f.name),
      ['a.txt', 'c.log', 'b.txt'],
    );
    const second = (await page('sort_by=name&sort_order=asc&page=2&page_size=2')).body;
    assert.deepEqual(
      (second.files as { name: string }[]).map((f) => f.name),
      ['c.log'],
    );
    assert.equal(second.total, 3);
    assert.equal(second.page, 2);
    assert.equal(second.page_size, 2);
    assert.equal((await page('search=.txt')).body.total, 2);
    assert.equal(
      (await call(s.t.app, 'GET', `/storage/files/count?bucket_id=${id}&search=log`, { token })).body,
      1,
    );
    const unknown = await page('skip=0');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.detail, 'Unknown query parameters: skip');
  });
});

describe('statistics stay true', () => {
  test('file_count and total_size follow uploads, deletes and bucket deletion', async () => {
    const id = await createBucket(s.t.app, token, 'stats-bucket');
    const sizes = [10, 200, 3000];
    const ids: string[] = [];
    for (const size of sizes)
      ids.push(String((await upload(s.t.app, id, `f${size}`, Buffer.alloc(size), { token })).body.file_id));
    const bucket = async () => (await call(s.t.app, 'GET', `/storage/buckets/${id}`, { token })).body;
    assert.equal((await bucket()).file_count, 3);
    assert.equal((await bucket()).total_size, 3210);
    assert.equal((await call(s.t.app, 'DELETE', `/storage/files/${ids[1]}`, { token })).status, 204);
    assert.equal((await bucket()).file_count, 2);
    assert.equal((await bucket()).total_size, 3010);
    const before = (await call(s.t.app, 'GET', '/storage/files/stats', { token })).body;
    const listed = await fileRows(id);
    assert.equal(listed.total, 2);
    assert.equal(
      listed.files.reduce((sum, f) => sum + f.size, 0),
      3010,
    );
    assert.equal((await call(s.t.app, 'DELETE', `/storage/buckets/${id}`, { token })).status, 204);
    const afterDelete = (await call(s.t.app, 'GET', '/storage/files/stats', { token })).body;
    assert.equal(Number(before.total_files) - Number(afterDelete.total_files), 2);
    assert.equal(Number(before.total_size) - Number(afterDelete.total_size), 3010);
    assert.equal(Number(before.bucket_count) - Number(afterDelete.bucket_count), 1);
  });

  test('deleting a bucket deletes its files: rows and bytes', async () => {
    const id = await createBucket(s.t.app, token, 'gone-bucket');
    const up = await upload(s.t.app, id, 'a.txt', 'bytes', { token, path: 'deep/a.txt' });
    assert.equal((await call(s.t.app, 'DELETE', `/storage/buckets/${id}`, { token })).status, 204);
    assert.equal((await call(s.t.app, 'GET', `/storage/files/${up.body.file_id}`, { token })).status, 404);
    assert.equal(
      (await download(s.t.app, '/storage/files/download/gone-bucket/deep/a.txt', { token })).status,
      404,
    );
    await s.storage.store.close();
    assert.deepEqual(
      filesOnDisk(s.storage.root).filter(
        (path) => path.startsWith('gone-bucket/') || path.includes('.selfdb-trash'),
      ),
      [],
    );
  });
});

describe('Range and ETag through the backend', () => {
  const bytes = randomBytes(5000);
  const url = `/storage/files/download/${BUCKET}/ranged.bin`;
  before(async () => {
    assert.equal((await upload(s.t.app, bucketId, 'ranged.bin', bytes, { token })).status, 201);
  });

  test('Range → 206 with Content-Range; past the end → 416', async () => {
    const part = await download(s.t.app, url, { token, headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], 'bytes 100-199/5000');
    assert.ok(part.bytes.equals(bytes.subarray(100, 200)));
    const past = await download(s.t.app, url, { token, headers: { range: 'bytes=5000-' } });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], 'bytes */5000');
    assert.equal(JSON.parse(past.bytes.toString()).code, 'RANGE_NOT_SATISFIABLE');
  });

  test('the ETag is the SHA-256; If-None-Match → 304; a stale If-Range → the whole file; HEAD → headers', async () => {
    const etag = `"${sha256(bytes)}"`;
    const full = await download(s.t.app, url, { token });
    assert.equal(full.headers.etag, etag);
    assert.equal(full.headers['accept-ranges'], 'bytes');
    const cached = await download(s.t.app, url, { token, headers: { 'if-none-match': etag } });
    assert.equal(cached.status, 304);
    assert.equal(cached.bytes.length, 0);
    const stale = await download(s.t.app, url, {
      token,
      headers: { range: 'bytes=0-9', 'if-range': '"old"' },
    });
    assert.equal(stale.status, 200);
    assert.equal(stale.bytes.length, 5000);
    const head = await download(s.t.app, url, { token, method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '5000');
    assert.equal(head.bytes.length, 0);
  });
});
