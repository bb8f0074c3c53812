// The storage volume's free-space reserve (STORAGE_MIN_FREE_MB): a write that would leave less free space than the
// reserve is refused with 507 INSUFFICIENT_STORAGE, before a byte is written when its size is known, and as soon as
// it would cross the reserve while streaming otherwise; concurrent writes cannot together eat into it. The volume
// is the real one (statfs of the test's temp directory): the reserve is set relative to its free space now.
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { FreeSpace } from '../src/backends/free-space.ts';
import {
  eventually,
  filesUnder,
  KEY,
  rawRequest,
  request,
  startStorage,
  type TestStorage,
} from './helpers.ts';

const MIB = 1024 * 1024;
const freeBytes = () => {
  const stats = statfsSync(tmpdir());
  return Number(stats.bavail) * Number(stats.bsize);
};

/** A PUT over real HTTP streaming `chunks` without Content-Length (chunked), until the server answers. */
function streamPut(port: number, path: string, chunks: () => Generator<Buffer>) {
  return new Promise<{ status: number; json: Record<string, unknown>; sent: number }>((resolve, reject) => {
    let sent = 0;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path,
        headers: { 'x-storage-key': KEY, 'content-type': 'application/octet-stream' },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(parts).toString() || '{}') as Record<string, unknown>,
            sent,
          }),
        );
      },
    );
    req.on('error', reject);
    const body = Readable.from(chunks());
    body.on('data', (chunk: Buffer) => (sent += chunk.length));
    body.pipe(req);
  });
}

describe('a reserve larger than the free space refuses every write', () => {
  let s: TestStorage;
  after(() => s.close());

  test('known size, unknown size, resumable: 507 and nothing written', async () => {
    s = await startStorage(KEY, { minFreeBytes: freeBytes() + 1024 * MIB });
    await request(s.app, 'POST', '/api/v1/buckets', { body: { name: 'full' } });
    const known = await request(s.app, 'PUT', '/api/v1/files/full/a.bin', {
      body: Buffer.alloc(1000, 1),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(known.status, 507);
    assert.equal(known.json.code, 'INSUFFICIENT_STORAGE');
    assert.match(String(known.json.detail), /free on the storage volume/);

    const port = await s.listen();
    const streamed = await streamPut(port, '/api/v1/files/full/b.bin', function* () {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(64 * 1024, 2);
    });
    assert.equal(streamed.status, 507);
    assert.equal(streamed.json.code, 'INSUFFICIENT_STORAGE');

    const upload = await request(s.app, 'POST', '/api/v1/uploads', {
      body: { id: 'reserve-upload-0123456789', bucket: 'full', path: 'c.bin', length: 10 },
    });
    assert.equal(upload.status, 507);
    assert.equal(upload.json.code, 'INSUFFICIENT_STORAGE');
    assert.deepEqual(
      filesUnder(s.root).filter((name) => !name.startsWith('.selfdb-uploads')),
      [],
      'no temp file, no object',
    );
  });
});

describe('a reserve close to the free space', () => {
  // Other programs write to this volume too, so its free space moves by tens of MiB while a test runs: every margin
  // below is far larger than that.
  let s: TestStorage;
  after(() => s.close());

  test('a streamed write is stopped where it would cross the reserve, and leaves nothing', async () => {
    // 64 MiB of room above the reserve; the write offers 1 GiB and must be cut long before.
    s = await startStorage(KEY, { minFreeBytes: freeBytes() - 64 * MIB });
    await request(s.app, 'POST', '/api/v1/buckets', { body: { name: 'tight' } });
    const port = await s.listen();
    const chunk = Buffer.alloc(MIB, 3);
    const streamed = await streamPut(port, '/api/v1/files/tight/big.bin', function* () {
      for (let i = 0; i < 1024; i++) yield chunk;
    });
    assert.equal(streamed.status, 507);
    assert.equal(streamed.json.code, 'INSUFFICIENT_STORAGE');
    assert.ok(streamed.sent < 512 * MIB, `stopped after ${streamed.sent} bytes`);
    assert.deepEqual(filesUnder(s.root), [], 'the temp file is gone');
  });

  test('while one announced write is in flight, a second that fits alone but not with it gets 507 at once', async () => {
    await s.close();
    s = await startStorage(KEY, { minFreeBytes: freeBytes() - 1024 * MIB });
    await request(s.app, 'POST', '/api/v1/buckets', { body: { name: 'tight' } });
    const port = await s.listen();
    // 700 MiB announced, 1 KiB sent: the first write holds its claim while it waits for the rest.
    const first = connect({ host: '127.0.0.1', port });
    await once(first, 'connect');
    first.write(
      `PUT /api/v1/files/tight/first.bin HTTP/1.1\r\nHost: x\r\nX-Storage-Key: ${KEY}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${700 * MIB}\r\n\r\n`,
    );
    first.write(Buffer.alloc(1024, 6));
    assert.ok(await eventually(() => filesUnder(s.root).length === 1), 'the first write started');
    const second = await rawRequest(port, 'PUT', '/api/v1/files/tight/second.bin', {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(700 * MIB) },
      body: Buffer.alloc(0),
    });
    assert.equal(second.status, 507);
    assert.equal(second.json.code, 'INSUFFICIENT_STORAGE');
    first.destroy();
    assert.ok(await eventually(() => filesUnder(s.root).length === 0), 'the dropped write left nothing');
  });

  test('a write that fits is stored', async () => {
    const small = await request(s.app, 'PUT', '/api/v1/files/tight/small.bin', {
      body: Buffer.alloc(1000, 5),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(small.status, 201);
  });
});

test('claims: what writes in progress claimed counts against the free space until they end', async () => {
  const space = new FreeSpace(tmpdir(), freeBytes() - 1024 * MIB);
  const first = space.claim();
  await first.reserve(700 * MIB);
  const second = space.claim();
  await assert.rejects(second.reserve(700 * MIB), { statusCode: 507, code: 'INSUFFICIENT_STORAGE' });
  // Bytes written move from the claim to the disk: what is left of the claim still counts.
  assert.equal(first.take(100 * MIB), null);
  first.release();
  await second.reserve(700 * MIB);
  second.release();
  // A streamed write claims in steps: never more than it may write.
  const capped = space.claim(1000);
  await capped.take(600);
  assert.equal(capped.claimed, 1000);
  capped.release();
});
