// Abuse limits of storage (issue 10, part 6), on every upload path (raw body announced or streamed, multipart
// form, tus): the server-wide maximum file size (STORAGE_MAX_FILE_SIZE_MB, which a bucket may lower but not raise),
// the per-user quota (STORAGE_USER_QUOTA_MB, also under concurrency), the storage volume's free-space reserve
// (STORAGE_MIN_FREE_MB, 507) and tus Upload-Defer-Length (a clear 400). Each refusal is `{detail, code}` and
// leaves nothing: no row, no bytes, no temp file, no reservation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { FormData, request } from 'undici';
import { loadConfig as loadStorageConfig } from '../../storage/src/config.ts';
import { loadConfig } from '../src/config.ts';
import { API_KEY, call, registerUser, SECRET_KEY } from './helpers.ts';
import {
  createBucket,
  eventually,
  filesOnDisk,
  type StorageStack,
  startStorageStack,
  upload,
} from './storage-helpers.ts';

const KIB = 1024;
const MIB = 1024 * 1024;

/** A raw upload over real HTTP without Content-Length: limits can only be enforced while streaming. */
async function streamUpload(
  s: StorageStack,
  token: string,
  bucketId: string,
  filename: string,
  size: number,
) {
  const query = new URLSearchParams({ bucket_id: bucketId, filename });
  const chunks = Array.from({ length: Math.ceil(size / (16 * KIB)) }, (_, i) =>
    Buffer.alloc(Math.min(16 * KIB, size - i * 16 * KIB), 7),
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

/** A multipart/form-data upload over real HTTP. */
async function formUpload(s: StorageStack, token: string, bucketId: string, filename: string, size: number) {
  const data = new FormData();
  data.append('file', new Blob([Buffer.alloc(size, 9)]), filename);
  const response = await request(`${s.url}/storage/files/upload?bucket_id=${bucketId}`, {
    method: 'POST',
    headers: { 'x-api-key': API_KEY, authorization: `Bearer ${token}` },
    body: data,
  });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}

/** tus creation of an upload of `length` bytes. */
async function tusCreate(
  s: StorageStack,
  token: string,
  length: number,
  fields: Record<string, string>,
  extra: Record<string, string> = {},
) {
  const metadata = Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
  const response = await request(`${s.url}/storage/uploads`, {
    method: 'POST',
    headers: {
      'x-api-key': API_KEY,
      authorization: `Bearer ${token}`,
      'tus-resumable': '1.0.0',
      'upload-length': String(length),
      'upload-metadata': metadata,
      ...extra,
    },
  });
  const text = await response.body.text();
  const location = response.headers.location as string | undefined;
  return {
    status: response.statusCode,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    url: location ? new URL(location, `${s.url}/storage/uploads`).toString() : '',
  };
}

async function tusCall(token: string, method: 'PATCH' | 'DELETE', url: string, body?: Buffer, offset = 0) {
  const response = await request(url, {
    method,
    headers: {
      'x-api-key': API_KEY,
      authorization: `Bearer ${token}`,
      'tus-resumable': '1.0.0',
      ...(body ? { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' } : {}),
    },
    body,
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
}

/** Rows, statistics and bytes on disk: what a refused upload must not change. */
async function snapshot(s: StorageStack, token: string) {
  return JSON.stringify({
    files: (await call(s.t.app, 'GET', '/storage/files/total-count', { token })).body,
    stats: (await call(s.t.app, 'GET', '/storage/files/stats', { token })).body,
    disk: filesOnDisk(s.storage.root).filter((p) => !p.startsWith('.selfdb-uploads/')),
  });
}

function assertError(
  response: { status: number; body: Record<string, unknown> },
  status: number,
  code: string,
) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.code, code, JSON.stringify(response.body));
  assert.equal(typeof response.body.detail, 'string');
}

test('defaults: files up to 10 GiB, no quota, 1 GiB kept free; 0 turns the maximum off', () => {
  const env = { API_KEY, SECRET_KEY, ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'x' };
  const backend = loadConfig(env).storage;
  assert.equal(backend.maxFileBytes, 10 * 1024 * MIB);
  assert.equal(backend.userQuotaBytes, 0);
  assert.equal(loadConfig({ ...env, STORAGE_MAX_FILE_SIZE_MB: '0' }).storage.maxFileBytes, null);
  assert.equal(loadConfig({ ...env, STORAGE_USER_QUOTA_MB: '5' }).storage.userQuotaBytes, 5 * MIB);
  assert.throws(() => loadConfig({ ...env, STORAGE_USER_QUOTA_MB: '-1' }), /STORAGE_USER_QUOTA_MB/);
  assert.equal(loadStorageConfig({ SECRET_KEY }).minFreeBytes, 1024 * MIB);
  assert.equal(loadStorageConfig({ SECRET_KEY, STORAGE_MIN_FREE_MB: '0' }).minFreeBytes, 0);
});

describe('the server-wide maximum file size (STORAGE_MAX_FILE_SIZE_MB=1)', () => {
  let s: StorageStack;
  let token: string;
  let open: string;
  before(async () => {
    s = await startStorageStack({ STORAGE_MAX_FILE_SIZE_MB: '1' });
    token = (await registerUser(s.t.app, 'max-size@example.com')).access_token;
    open = await createBucket(s.t.app, token, 'no-limit');
  });
  after(() => s.close());

  test('a bucket without a limit takes files up to the maximum, and refuses more on every path', async () => {
    assert.equal((await upload(s.t.app, open, 'exact.bin', Buffer.alloc(MIB), { token })).status, 201);
    const before = await snapshot(s, token);
    const announced = await upload(s.t.app, open, 'over.bin', Buffer.alloc(MIB + 1), { token });
    assertError(announced, 413, 'FILE_TOO_LARGE');
    assert.equal(announced.body.detail, `File too large: files may be up to ${MIB} bytes`);
    assertError(await streamUpload(s, token, open, 'over-streamed.bin', 2 * MIB), 413, 'FILE_TOO_LARGE');
    assertError(await formUpload(s, token, open, 'over-form.bin', MIB + 1), 413, 'FILE_TOO_LARGE');
    const resumable = await tusCreate(s, token, MIB + 1, { bucket_id: open, filename: 'over-tus.bin' });
    assertError({ status: resumable.status, body: resumable.json }, 413, 'FILE_TOO_LARGE');
    assert.ok(await eventually(async () => (await snapshot(s, token)) === before));
  });

  test("a bucket's own limit may lower the maximum, never raise it", async () => {
    const higher = await createBucket(s.t.app, token, 'higher-limit', { file_size_limit: 10 * MIB });
    assertError(
      await upload(s.t.app, higher, 'a.bin', Buffer.alloc(MIB + 1), { token }),
      413,
      'FILE_TOO_LARGE',
    );
    const lower = await createBucket(s.t.app, token, 'lower-limit', { file_size_limit: 1000 });
    const refused = await upload(s.t.app, lower, 'b.bin', Buffer.alloc(1001), { token });
    assertError(refused, 413, 'FILE_TOO_LARGE');
    assert.equal(refused.body.detail, 'File too large: this bucket takes files up to 1000 bytes');
    assert.equal((await upload(s.t.app, lower, 'c.bin', Buffer.alloc(1000), { token })).status, 201);
  });
});

describe('the per-user quota (STORAGE_USER_QUOTA_MB=1)', () => {
  let s: StorageStack;
  let db: pg.Client;
  let user: { id: string; access_token: string };
  let bucket: string;
  before(async () => {
    s = await startStorageStack({ STORAGE_USER_QUOTA_MB: '1' });
    db = new pg.Client({ connectionString: s.t.db.directUrl });
    await db.connect();
    user = await registerUser(s.t.app, 'quota@example.com');
    bucket = await createBucket(s.t.app, user.access_token, 'quota-bucket', { public: true });
  });
  after(async () => {
    await db.end();
    await s.close();
  });
  const reservations = async () =>
    Number((await db.query('SELECT count(*) AS n FROM selfdb.upload_reservations')).rows[0].n);

  test('files a user owns count; an upload past the quota is refused on every path, announced or not', async () => {
    const token = user.access_token;
    const first = await upload(s.t.app, bucket, 'first.bin', Buffer.alloc(700 * KIB), { token });
    assert.equal(first.status, 201);
    const before = await snapshot(s, token);
    const announced = await upload(s.t.app, bucket, 'second.bin', Buffer.alloc(400 * KIB), { token });
    assertError(announced, 413, 'STORAGE_QUOTA_EXCEEDED');
    assertError(
      await streamUpload(s, token, bucket, 'streamed.bin', 400 * KIB),
      413,
      'STORAGE_QUOTA_EXCEEDED',
    );
    assertError(await formUpload(s, token, bucket, 'form.bin', 400 * KIB), 413, 'STORAGE_QUOTA_EXCEEDED');
    const resumable = await tusCreate(s, token, 400 * KIB, { bucket_id: bucket, filename: 'tus.bin' });
    assertError({ status: resumable.status, body: resumable.json }, 413, 'STORAGE_QUOTA_EXCEEDED');
    assert.ok(await eventually(async () => (await snapshot(s, token)) === before));
    assert.equal(await reservations(), 0);

    // The quota is each user's: someone else uploads into the same bucket freely.
    const other = await registerUser(s.t.app, 'quota-other@example.com');
    const theirs = await upload(s.t.app, bucket, 'theirs.bin', Buffer.alloc(700 * KIB), {
      token: other.access_token,
    });
    assert.equal(theirs.status, 201);
    // Deleting a file gives its room back.
    assert.equal(
      (await call(s.t.app, 'DELETE', `/storage/files/${String(first.body.file_id)}`, { token })).status,
      204,
    );
    assert.equal(
      (await upload(s.t.app, bucket, 'after.bin', Buffer.alloc(1000 * KIB), { token })).status,
      201,
    );
  });

  test('a tus upload holds its whole length until it finishes or is abandoned', async () => {
    const fresh = await registerUser(s.t.app, 'quota-tus@example.com');
    const token = fresh.access_token;
    const created = await tusCreate(s, token, 700 * KIB, { bucket_id: bucket, filename: 'big-tus.bin' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assertError(
      await upload(s.t.app, bucket, 'meanwhile.bin', Buffer.alloc(400 * KIB), { token }),
      413,
      'STORAGE_QUOTA_EXCEEDED',
    );
    assert.equal((await tusCall(token, 'DELETE', created.url)).status, 204);
    assert.equal((await upload(s.t.app, bucket, 'now.bin', Buffer.alloc(400 * KIB), { token })).status, 201);

    const small = await tusCreate(s, token, 300 * KIB, { bucket_id: bucket, filename: 'small-tus.bin' });
    assert.equal(small.status, 201);
    const done = await tusCall(token, 'PATCH', small.url, Buffer.alloc(300 * KIB, 1));
    assert.equal(done.status, 204, done.text);
    assert.equal(await reservations(), 0, 'the finished upload counts as its file now');
    assertError(
      await upload(s.t.app, bucket, 'full.bin', Buffer.alloc(400 * KIB), { token }),
      413,
      'STORAGE_QUOTA_EXCEEDED',
    );
  });

  test('parallel uploads cannot together pass the quota', async () => {
    const announcer = await registerUser(s.t.app, 'quota-parallel-a@example.com');
    const announced = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        upload(s.t.app, bucket, `announced-${i}.bin`, Buffer.alloc(300 * KIB), {
          token: announcer.access_token,
        }),
      ),
    );
    assert.deepEqual(
      announced.map((r) => r.status).sort(),
      [201, 201, 201, 413, 413],
      'sizes announced: exactly as many as fit',
    );

    const streamer = await registerUser(s.t.app, 'quota-parallel-b@example.com');
    const streamed = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        streamUpload(s, streamer.access_token, bucket, `streamed-${i}.bin`, 600 * KIB),
      ),
    );
    const stored = streamed.filter((r) => r.status === 201);
    assert.ok(stored.length <= 1, `${stored.length} uploads of 600 KiB passed a 1 MiB quota`);
    for (const refused of streamed.filter((r) => r.status !== 201))
      assertError(refused, 413, 'STORAGE_QUOTA_EXCEEDED');
    const used = await db.query(
      'SELECT COALESCE(sum(size), 0)::bigint AS used FROM files WHERE owner_id = $1',
      [streamer.id],
    );
    assert.ok(Number(used.rows[0].used) <= MIB);
    assert.ok(await eventually(async () => (await reservations()) === 0), 'every reservation was released');
  });

  test('a reservation left by a process that died expires and stops counting', async () => {
    const fresh = await registerUser(s.t.app, 'quota-expired@example.com');
    await db.query(
      `INSERT INTO selfdb.upload_reservations (id, user_id, bytes, expires_at)
       VALUES ('dead-process', $1, $2, now() - interval '1 second')`,
      [fresh.id, MIB],
    );
    assert.equal(
      (await upload(s.t.app, bucket, 'alive.bin', Buffer.alloc(900 * KIB), { token: fresh.access_token }))
        .status,
      201,
    );
    assert.equal(await reservations(), 0, 'expired reservations are cleaned up');
  });
});

describe('the free-space reserve of the storage volume (STORAGE_MIN_FREE_MB)', () => {
  let s: StorageStack;
  let token: string;
  let bucket: string;
  before(async () => {
    const stats = statfsSync(tmpdir());
    // More than the volume has free: every upload would leave it under the reserve.
    s = await startStorageStack(
      {},
      { minFreeBytes: Number(stats.bavail) * Number(stats.bsize) + 1024 * MIB },
    );
    token = (await registerUser(s.t.app, 'full-disk@example.com')).access_token;
    bucket = await createBucket(s.t.app, token, 'full-disk');
  });
  after(() => s.close());

  test('every upload path answers 507 INSUFFICIENT_STORAGE and keeps nothing', async () => {
    const before = await snapshot(s, token);
    const announced = await upload(s.t.app, bucket, 'a.bin', Buffer.alloc(100 * KIB), { token });
    assertError(announced, 507, 'INSUFFICIENT_STORAGE');
    assert.match(String(announced.body.detail), /free on the storage volume/);
    assertError(await streamUpload(s, token, bucket, 'b.bin', 2 * MIB), 507, 'INSUFFICIENT_STORAGE');
    assertError(await formUpload(s, token, bucket, 'c.bin', 2 * MIB), 507, 'INSUFFICIENT_STORAGE');
    const resumable = await tusCreate(s, token, 100, { bucket_id: bucket, filename: 'd.bin' });
    assertError({ status: resumable.status, body: resumable.json }, 507, 'INSUFFICIENT_STORAGE');
    assert.ok(await eventually(async () => (await snapshot(s, token)) === before));
    assert.deepEqual(filesOnDisk(s.storage.root), []);
  });
});

test('curl sees the 507 answer, not a reset connection, whether it announced the size or not', async (t) => {
  if (!(await promisify(execFile)('curl', ['--version']).catch(() => null))) {
    t.skip('curl is not installed');
    return;
  }
  const stats = statfsSync(tmpdir());
  const s = await startStorageStack(
    {},
    { minFreeBytes: Number(stats.bavail) * Number(stats.bsize) + 1024 * MIB },
  );
  const dir = mkdtempSync(join(tmpdir(), 'selfdb-curl-'));
  try {
    const token = (await registerUser(s.t.app, 'curl-disk@example.com')).access_token;
    const bucket = await createBucket(s.t.app, token, 'curl-disk');
    const file = join(dir, 'big.bin');
    writeFileSync(file, Buffer.alloc(16 * MIB, 1));
    const url = `${s.url}/storage/files/upload?bucket_id=${bucket}&filename=big.bin`;
    for (const args of [
      ['--data-binary', `@${file}`],
      ['-H', 'Transfer-Encoding: chunked', '--data-binary', `@${file}`],
      ['-F', `file=@${file}`],
    ]) {
      const { stdout } = await promisify(execFile)('curl', [
        '-sS',
        '-H',
        `X-API-Key: ${API_KEY}`,
        '-H',
        `Authorization: Bearer ${token}`,
        ...args,
        url,
      ]);
      assert.equal((JSON.parse(stdout) as Record<string, unknown>).code, 'INSUFFICIENT_STORAGE', stdout);
    }
    assert.deepEqual(filesOnDisk(s.storage.root), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await s.close();
  }
});

describe('tus extensions SelfDB does not offer', () => {
  let s: StorageStack;
  let token: string;
  let bucket: string;
  before(async () => {
    s = await startStorageStack();
    token = (await registerUser(s.t.app, 'tus-defer@example.com')).access_token;
    bucket = await createBucket(s.t.app, token, 'tus-defer');
  });
  after(() => s.close());

  test('Upload-Defer-Length and Upload-Concat answer 400 {detail, code}, never 500', async () => {
    const metadata = `bucket_id ${Buffer.from(bucket).toString('base64')},filename ${Buffer.from('x').toString('base64')}`;
    const base = {
      'x-api-key': API_KEY,
      authorization: `Bearer ${token}`,
      'tus-resumable': '1.0.0',
      'upload-metadata': metadata,
    };
    for (const headers of [
      { 'upload-defer-length': '1' },
      { 'upload-defer-length': '1', 'upload-length': '10' },
      { 'upload-length': '10', 'upload-concat': 'partial' },
    ]) {
      const response = await request(`${s.url}/storage/uploads`, {
        method: 'POST',
        headers: { ...base, ...headers },
      });
      const body = (await response.body.json()) as Record<string, unknown>;
      assertError({ status: response.statusCode, body }, 400, 'BAD_REQUEST');
      if ('upload-defer-length' in headers && !('upload-length' in headers)) {
        assert.match(String(body.detail), /Upload-Defer-Length is not supported/);
      }
    }
    assert.deepEqual(
      filesOnDisk(s.storage.root).filter((p) => !p.startsWith('.selfdb-uploads/')),
      [],
    );
  });
});
