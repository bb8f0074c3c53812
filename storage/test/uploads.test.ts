// Resumable uploads in the storage service: bytes accumulate in a partial file whose size is the offset, survive a
// dropped connection, and become an object only when complete (verified, hashed, linked into the bucket).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  eventually,
  filesUnder,
  KEY,
  request,
  sendAndDrop,
  startStorage,
  type TestStorage,
} from './helpers.ts';

let s: TestStorage;
let counter = 0;
const newId = () => `upload-${Date.now()}-${++counter}-abcdef`;
const append = (id: string, offset: number, body: Buffer) =>
  request(s.app, 'PATCH', `/api/v1/uploads/${id}`, {
    body,
    headers: { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
  });
const state = async (id: string) => (await request(s.app, 'GET', `/api/v1/uploads/${id}`)).json;

before(async () => {
  s = await startStorage();
  await request(s.app, 'POST', '/api/v1/buckets', { body: { name: 'resumable' } });
});
after(() => s.close());

test('create, append in pieces, complete: the object appears only at the end, hashed', async () => {
  const id = newId();
  const bytes = randomBytes(300_000);
  const created = await request(s.app, 'POST', '/api/v1/uploads', {
    body: { id, bucket: 'resumable', path: 'dir/big.bin', length: bytes.length, meta: { owner_id: 'u1' } },
  });
  assert.equal(created.status, 201);
  assert.equal(created.json.offset, 0);
  assert.equal((await append(id, 0, bytes.subarray(0, 100_000))).json.offset, 100_000);
  const early = await request(s.app, 'POST', `/api/v1/uploads/${id}/complete`, { body: {} });
  assert.equal(early.status, 409);
  assert.equal(early.json.code, 'UPLOAD_INCOMPLETE');
  assert.equal(existsSync(join(s.root, 'resumable/dir/big.bin')), false);
  const wrongOffset = await append(id, 5, bytes.subarray(5, 10));
  assert.equal(wrongOffset.status, 409);
  assert.equal(wrongOffset.json.code, 'UPLOAD_OFFSET_MISMATCH');
  assert.equal((await append(id, 100_000, bytes.subarray(100_000))).json.offset, 300_000);
  const tooMuch = await append(id, 300_000, Buffer.from('x'));
  assert.equal(tooMuch.status, 413);
  assert.deepEqual((await state(id)).meta, { owner_id: 'u1' });
  const done = await request(s.app, 'POST', `/api/v1/uploads/${id}/complete`, {
    body: { if_exists: 'rename' },
  });
  assert.equal(done.status, 201);
  assert.equal(done.json.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.deepEqual(readFileSync(join(s.root, 'resumable/dir/big.bin')), bytes);
  assert.equal((await request(s.app, 'GET', `/api/v1/uploads/${id}`)).status, 404);
  assert.deepEqual(filesUnder(join(s.root, '.selfdb-uploads')), []);
});

test('a dropped connection keeps the bytes that arrived; the upload resumes from there', async () => {
  const id = newId();
  const bytes = randomBytes(2 * 1024 * 1024);
  await request(s.app, 'POST', '/api/v1/uploads', {
    body: { id, bucket: 'resumable', path: 'resumed.bin', length: bytes.length, meta: {} },
  });
  const port = await s.listen();
  const head = [
    `PATCH /api/v1/uploads/${id} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `x-storage-key: ${KEY}`,
    'upload-offset: 0',
    'content-type: application/offset+octet-stream',
    `content-length: ${bytes.length}`,
    '',
    '',
  ].join('\r\n');
  await sendAndDrop(port, head, bytes.subarray(0, 700_000), 200);
  // The offset settles once the storage service has seen the connection go.
  assert.ok(
    await eventually(async () => (await state(id)).offset === 700_000),
    JSON.stringify(await state(id)),
  );
  const offset = Number((await state(id)).offset);
  // The cut request may still be releasing the upload (409 until then); a client retries.
  let resumed = await append(id, offset, bytes.subarray(offset));
  for (let i = 0; resumed.status === 409 && i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    resumed = await append(id, offset, bytes.subarray(offset));
  }
  assert.equal(resumed.json.offset, bytes.length);
  const done = await request(s.app, 'POST', `/api/v1/uploads/${id}/complete`, {
    body: { path: 'moved/resumed.bin' },
  });
  assert.equal(done.status, 201);
  assert.equal(done.json.path, 'moved/resumed.bin');
  assert.deepEqual(readFileSync(join(s.root, 'resumable/moved/resumed.bin')), bytes);
});

test('completing at a taken path is a 409 that leaves the upload, to be completed at another path', async () => {
  const first = newId();
  await request(s.app, 'POST', '/api/v1/uploads', {
    body: { id: first, bucket: 'resumable', path: 'taken.txt', length: 3, meta: {} },
  });
  await append(first, 0, Buffer.from('one'));
  assert.equal((await request(s.app, 'POST', `/api/v1/uploads/${first}/complete`, { body: {} })).status, 201);
  const second = newId();
  await request(s.app, 'POST', '/api/v1/uploads', {
    body: { id: second, bucket: 'resumable', path: 'taken.txt', length: 3, meta: {} },
  });
  await append(second, 0, Buffer.from('two'));
  const taken = await request(s.app, 'POST', `/api/v1/uploads/${second}/complete`, { body: {} });
  assert.equal(taken.status, 409);
  assert.equal(taken.json.code, 'FILE_EXISTS');
  assert.equal(readFileSync(join(s.root, 'resumable/taken.txt'), 'utf8'), 'one');
  assert.equal((await state(second)).offset, 3);
  const elsewhere = await request(s.app, 'POST', `/api/v1/uploads/${second}/complete`, {
    body: { path: 'taken (1).txt' },
  });
  assert.equal(elsewhere.status, 201);
  assert.equal(elsewhere.json.path, 'taken (1).txt');
  assert.equal(readFileSync(join(s.root, 'resumable/taken (1).txt'), 'utf8'), 'two');
});

test('bad uploads are refused: unknown bucket, bad path, taken id; abandoned and expired ones disappear', async () => {
  const id = newId();
  const create = (body: object) => request(s.app, 'POST', '/api/v1/uploads', { body });
  assert.equal((await create({ id, bucket: 'no-such', path: 'a', length: 1 })).status, 404);
  assert.equal((await create({ id, bucket: 'resumable', path: '../a', length: 1 })).status, 400);
  assert.equal((await create({ id: 'short', bucket: 'resumable', path: 'a', length: 1 })).status, 422);
  assert.equal((await create({ id, bucket: 'resumable', path: 'a', length: 1 })).status, 201);
  assert.equal((await create({ id, bucket: 'resumable', path: 'a', length: 1 })).status, 409);
  assert.equal((await request(s.app, 'DELETE', `/api/v1/uploads/${id}`)).status, 204);
  assert.equal((await request(s.app, 'GET', `/api/v1/uploads/${id}`)).status, 404);

  const old = newId();
  await create({ id: old, bucket: 'resumable', path: 'old', length: 10 });
  const past = new Date(Date.now() - 48 * 3600 * 1000);
  for (const file of [`${old}.json`, `${old}.part`])
    utimesSync(join(s.root, '.selfdb-uploads', file), past, past);
  assert.equal(await s.store.deleteExpiredUploads(24 * 3600 * 1000), 1);
  assert.equal((await request(s.app, 'GET', `/api/v1/uploads/${old}`)).status, 404);
  assert.deepEqual(filesUnder(join(s.root, '.selfdb-uploads')), []);
});

test('expiry counts from the last byte received, not from creation: a slow upload being resumed is kept', async () => {
  const id = newId();
  const dir = join(s.root, '.selfdb-uploads');
  const dayMs = 24 * 3600 * 1000;
  await request(s.app, 'POST', '/api/v1/uploads', {
    body: { id, bucket: 'resumable', path: 'slow.bin', length: 10, meta: {} },
  });
  // Created two days ago, still receiving bytes an hour ago.
  const created = new Date(Date.now() - 2 * dayMs);
  const active = new Date(Date.now() - 3600 * 1000);
  utimesSync(join(dir, `${id}.json`), created, created);
  utimesSync(join(dir, `${id}.part`), active, active);
  assert.equal(await s.store.deleteExpiredUploads(dayMs), 0);
  assert.equal((await state(id)).offset, 0);
  // An append moves the activity forward by itself.
  utimesSync(join(dir, `${id}.part`), created, created);
  assert.equal((await append(id, 0, Buffer.from('12345'))).json.offset, 5);
  assert.equal(await s.store.deleteExpiredUploads(dayMs), 0);
  // Silent for longer than the expiry: gone.
  utimesSync(join(dir, `${id}.part`), created, created);
  assert.equal(await s.store.deleteExpiredUploads(dayMs), 1);
  assert.equal((await request(s.app, 'GET', `/api/v1/uploads/${id}`)).status, 404);
});
