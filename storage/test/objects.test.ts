// The storage service on its own: authentication, path safety before any file-system call, atomic writes, ranges,
// validators, deletes. Real files in a temp directory; uploads cut short over a real socket.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  eventually,
  filesUnder,
  KEY,
  rawRequest,
  request,
  sendAndDrop,
  startStorage,
  type TestStorage,
} from './helpers.ts';

let s: TestStorage;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const put = (path: string, body: Buffer | string, headers: Record<string, string> = {}, query = '') =>
  request(s.app, 'PUT', `/api/v1/files/bucket-a/${path}${query}`, { body, headers });

before(async () => {
  s = await startStorage();
  assert.equal((await request(s.app, 'POST', '/api/v1/buckets', { body: { name: 'bucket-a' } })).status, 201);
});
after(() => s.close());

describe('access', () => {
  test('/health needs no key; everything else needs the shared key', async () => {
    const health = await request(s.app, 'GET', '/health', { key: null });
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'healthy', service: 'storage' });
    for (const key of [null, 'wrong-key']) {
      const response = await request(s.app, 'GET', '/api/v1/buckets/bucket-a', { key });
      assert.equal(response.status, 401);
      assert.equal(response.json.code, 'STORAGE_KEY_INVALID');
    }
    const written = await request(s.app, 'PUT', '/api/v1/files/bucket-a/nokey.txt', {
      key: 'wrong',
      body: 'x',
    });
    assert.equal(written.status, 401);
    assert.equal(existsSync(join(s.root, 'bucket-a/nokey.txt')), false);
  });
});

describe('buckets', () => {
  test('creating is idempotent, a missing bucket is 404, a bad name is 400', async () => {
    assert.equal(
      (await request(s.app, 'POST', '/api/v1/buckets', { body: { name: 'bucket-a' } })).status,
      201,
    );
    assert.equal((await request(s.app, 'GET', '/api/v1/buckets/bucket-a')).status, 200);
    assert.equal((await request(s.app, 'GET', '/api/v1/buckets/no-such-bucket')).status, 404);
    for (const name of ['..', 'UPPER', 'a', '.selfdb-uploads']) {
      const response = await request(s.app, 'POST', '/api/v1/buckets', { body: { name } });
      assert.equal(response.status, 400, name);
      assert.equal(response.json.code, 'INVALID_PATH');
    }
    assert.equal((await request(s.app, 'PUT', '/api/v1/files/nope-bucket/x', { body: 'x' })).status, 404);
  });

  test('deleting a bucket removes its files (the directory vanishes at once, bytes in the background)', async () => {
    await request(s.app, 'POST', '/api/v1/buckets', { body: { name: 'doomed' } });
    await request(s.app, 'PUT', '/api/v1/files/doomed/a/b/c.bin', { body: randomBytes(1000) });
    assert.equal((await request(s.app, 'DELETE', '/api/v1/buckets/doomed')).status, 204);
    assert.equal((await request(s.app, 'GET', '/api/v1/buckets/doomed')).status, 404);
    assert.equal((await request(s.app, 'GET', '/api/v1/files/doomed/a/b/c.bin')).status, 404);
    await s.store.close();
    assert.deepEqual(
      filesUnder(s.root).filter((path) => !path.startsWith('bucket-a/')),
      [],
    );
    assert.equal((await request(s.app, 'DELETE', '/api/v1/buckets/doomed')).status, 204);
  });
});

describe('writes', () => {
  test('bytes round-trip exactly; size and SHA-256 are computed while streaming', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const stored = await put('round/trip.bin', bytes);
    assert.equal(stored.status, 201);
    assert.equal(stored.json.size, bytes.length);
    assert.equal(stored.json.sha256, sha256(bytes));
    assert.equal(stored.json.path, 'round/trip.bin');
    assert.deepEqual(readFileSync(join(s.root, 'bucket-a/round/trip.bin')), bytes);
    const read = await request(s.app, 'GET', '/api/v1/files/bucket-a/round/trip.bin');
    assert.equal(read.status, 200);
    assert.equal(read.headers['content-length'], String(bytes.length));
    assert.ok(read.bytes.equals(bytes));
  });

  test('an empty file is a file', async () => {
    const stored = await put('empty.bin', Buffer.alloc(0));
    assert.equal(stored.status, 201);
    assert.equal(stored.json.size, 0);
    assert.equal(stored.json.sha256, sha256(Buffer.alloc(0)));
    const read = await request(s.app, 'GET', '/api/v1/files/bucket-a/empty.bin');
    assert.equal(read.status, 200);
    assert.equal(read.bytes.length, 0);
    assert.equal(
      (await request(s.app, 'GET', '/api/v1/files/bucket-a/empty.bin', { headers: { range: 'bytes=0-' } }))
        .status,
      416,
    );
  });

  test('unicode names and spaces are stored under exactly that name', async () => {
    const path = 'dir with spaces/ünïcödé 日本 📷.txt';
    const stored = await put(path.split('/').map(encodeURIComponent).join('/'), 'unicode');
    assert.equal(stored.status, 201);
    assert.equal(stored.json.path, path);
    assert.equal(readFileSync(join(s.root, 'bucket-a', path), 'utf8'), 'unicode');
  });

  test('a taken path fails with 409: the store writes exactly the path given, never over a file', async () => {
    assert.equal((await put('dup.txt', 'one')).status, 201);
    const conflict = await put('dup.txt', 'two');
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json.code, 'FILE_EXISTS');
    // The backend chooses names (`dup (1).txt`); the store never picks another one, whatever it is asked.
    const asked = await put('dup.txt', 'three', {}, '?if_exists=rename');
    assert.equal(asked.status, 409);
    assert.equal(asked.json.code, 'FILE_EXISTS');
    assert.equal(existsSync(join(s.root, 'bucket-a/dup (1).txt')), false);
    assert.equal(readFileSync(join(s.root, 'bucket-a/dup.txt'), 'utf8'), 'one');
    assert.deepEqual(
      filesUnder(join(s.root, 'bucket-a')).filter((p) => p.includes('.selfdb-')),
      [],
    );
  });

  test('X-Max-Bytes: refused before reading when announced, and while streaming otherwise', async () => {
    const announced = await put('big-announced.bin', Buffer.alloc(2000), { 'x-max-bytes': '1000' });
    assert.equal(announced.status, 413);
    assert.equal(announced.json.code, 'FILE_TOO_LARGE');
    const port = await s.listen();
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/files/bucket-a/big-streamed.bin`, {
      method: 'PUT',
      headers: { 'x-storage-key': KEY, 'x-max-bytes': '100000' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(64 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { code: string }).code, 'FILE_TOO_LARGE');
    assert.ok(
      await eventually(() => !filesUnder(s.root).some((p) => p.includes('big-'))),
      filesUnder(s.root).join(),
    );
    assert.equal((await put('exact.bin', Buffer.alloc(1000), { 'x-max-bytes': '1000' })).status, 201);
  });

  test('X-Content-SHA256: a body with another checksum is not kept', async () => {
    const response = await put('checked.bin', 'actual bytes', {
      'x-content-sha256': sha256(Buffer.from('other')),
    });
    assert.equal(response.status, 400);
    assert.equal(response.json.code, 'CHECKSUM_MISMATCH');
    assert.equal(existsSync(join(s.root, 'bucket-a/checked.bin')), false);
    const good = await put('checked.bin', 'actual bytes', {
      'x-content-sha256': sha256(Buffer.from('actual bytes')),
    });
    assert.equal(good.status, 201);
  });

  test('a client killed mid-upload leaves no object and no temp file', async () => {
    const port = await s.listen();
    const head = [
      'PUT /api/v1/files/bucket-a/killed/upload.bin HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      `x-storage-key: ${KEY}`,
      'content-type: application/octet-stream',
      `content-length: ${10 * 1024 * 1024}`,
      '',
      '',
    ].join('\r\n');
    await sendAndDrop(port, head, randomBytes(256 * 1024));
    const clean = await eventually(() => {
      const left = filesUnder(join(s.root, 'bucket-a')).filter((p) => p.startsWith('killed/'));
      return left.length === 0;
    });
    assert.ok(clean, filesUnder(join(s.root, 'bucket-a')).join(', '));
    assert.equal((await request(s.app, 'GET', '/api/v1/files/bucket-a/killed/upload.bin')).status, 404);
  });

  test('sweep removes temp files of dead writes, not those of running ones', async () => {
    const dir = join(s.root, 'bucket-a');
    writeFileSync(join(dir, '.selfdb-upload-stale.tmp'), 'x');
    writeFileSync(join(dir, '.selfdb-upload-fresh.tmp'), 'x');
    const old = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(join(dir, '.selfdb-upload-stale.tmp'), old, old);
    assert.equal(await s.store.sweep(), 1);
    assert.equal(existsSync(join(dir, '.selfdb-upload-stale.tmp')), false);
    assert.equal(existsSync(join(dir, '.selfdb-upload-fresh.tmp')), true);
  });
});

describe('path safety, checked before any file-system call', () => {
  const refused: [string, string][] = [
    ['%2e%2e/escaped.txt', 'encoded ..'],
    ['a/%2E%2E/%2e%2e/escaped.txt', 'encoded .. deeper'],
    ['..%2fescaped.txt', 'encoded slash'],
    ['%2Fetc%2Fpasswd', 'absolute'],
    ['nul%00byte.txt', 'NUL'],
    ['line%0Abreak.txt', 'newline'],
    [`${'x'.repeat(256)}.txt`, 'long name'],
    ['a%5C..%5Cb', 'backslashes'],
    ['.selfdb-uploads/x', 'reserved name'],
  ];
  for (const [path, what] of refused) {
    test(`refused: ${what}`, async () => {
      const before = filesUnder(s.root);
      const port = await s.listen();
      for (const method of ['PUT', 'GET', 'DELETE']) {
        const response = await rawRequest(port, method, `/api/v1/files/bucket-a/${path}`, {
          body: method === 'PUT' ? 'x' : undefined,
        });
        assert.equal(response.status, 400, `${method} ${path}: ${response.status}`);
        assert.equal(response.json.code, 'INVALID_PATH');
      }
      assert.deepEqual(filesUnder(s.root), before);
    });
  }

  test('a bucket name that is not one is refused', async () => {
    const port = await s.listen();
    for (const bucket of ['%2e%2e', 'UP', '.selfdb-uploads']) {
      const response = await rawRequest(port, 'PUT', `/api/v1/files/${bucket}/x.txt`, { body: 'x' });
      assert.equal(response.status, 400, bucket);
    }
  });

  test('symbolic links planted in the volume are never followed', async () => {
    const outside = join(s.root, '..', `outside-${Date.now()}`);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(outside, join(s.root, 'bucket-a', 'linked-dir'));
    symlinkSync(join(outside, 'secret.txt'), join(s.root, 'bucket-a', 'linked-file.txt'));
    symlinkSync(outside, join(s.root, 'linked-bucket'));
    const attempts: [string, string][] = [
      ['GET', '/api/v1/files/bucket-a/linked-dir/secret.txt'],
      ['PUT', '/api/v1/files/bucket-a/linked-dir/planted.txt'],
      ['PUT', '/api/v1/files/bucket-a/linked-dir/deeper/planted.txt'],
      ['GET', '/api/v1/files/bucket-a/linked-file.txt'],
      ['GET', '/api/v1/files/linked-bucket/secret.txt'],
      ['PUT', '/api/v1/files/linked-bucket/planted.txt'],
      ['DELETE', '/api/v1/files/linked-bucket/secret.txt'],
    ];
    for (const [method, url] of attempts) {
      const response = await request(s.app, method, url, { body: method === 'PUT' ? 'planted' : undefined });
      assert.equal(response.status, 400, `${method} ${url}: ${response.status}`);
      assert.ok(!response.bytes.toString().includes('secret'), url);
    }
    assert.deepEqual(filesUnder(outside), ['secret.txt']);
  });
});

describe('reads', () => {
  const bytes = randomBytes(10_000);
  let etag = '';
  before(async () => {
    etag = String((await put('ranged.bin', bytes)).json.etag);
  });
  const get = (headers: Record<string, string> = {}, method = 'GET') =>
    request(s.app, method, '/api/v1/files/bucket-a/ranged.bin', { headers });

  test('Range gives 206 with the asked bytes; past the end gives 416', async () => {
    const first = await get({ range: 'bytes=0-99' });
    assert.equal(first.status, 206);
    assert.equal(first.headers['content-range'], 'bytes 0-99/10000');
    assert.equal(first.headers['content-length'], '100');
    assert.ok(first.bytes.equals(bytes.subarray(0, 100)));
    const tail = await get({ range: 'bytes=-10' });
    assert.ok(tail.bytes.equals(bytes.subarray(9990)));
    const open = await get({ range: 'bytes=9000-' });
    assert.ok(open.bytes.equals(bytes.subarray(9000)));
    const past = await get({ range: 'bytes=10000-' });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], 'bytes */10000');
    assert.equal(past.json.code, 'RANGE_NOT_SATISFIABLE');
  });

  test('If-Range with another validator gives the whole file', async () => {
    const stale = await get({ range: 'bytes=0-9', 'if-range': '"other"' });
    assert.equal(stale.status, 200);
    assert.equal(stale.bytes.length, 10_000);
    const fresh = await get({ range: 'bytes=0-9', 'if-range': etag });
    assert.equal(fresh.status, 206);
  });

  test('ETag and If-None-Match give 304; HEAD gives the headers only', async () => {
    const full = await get();
    assert.equal(full.headers.etag, etag);
    assert.equal(full.headers['accept-ranges'], 'bytes');
    const notModified = await get({ 'if-none-match': etag });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.bytes.length, 0);
    const head = await get({}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '10000');
    assert.equal(head.bytes.length, 0);
  });

  test('DELETE removes the object and is idempotent', async () => {
    await put('to-delete.txt', 'bye');
    assert.equal((await request(s.app, 'DELETE', '/api/v1/files/bucket-a/to-delete.txt')).status, 204);
    assert.equal((await request(s.app, 'GET', '/api/v1/files/bucket-a/to-delete.txt')).status, 404);
    assert.equal((await request(s.app, 'DELETE', '/api/v1/files/bucket-a/to-delete.txt')).status, 204);
  });
});
