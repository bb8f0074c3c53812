// Resumable uploads with the tus 1.0 protocol at /storage/uploads (@tus/server over the storage service's partial
// uploads): creation, PATCH, HEAD after a dropped connection, resumption, termination, and the same file row as a
// raw upload at the end. Real HTTP throughout, and a raw socket for the dropped connection.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { API_KEY, call, registerUser } from './helpers.ts';
import {
  createBucket,
  download,
  filesOnDisk,
  sendAndDrop,
  type StorageStack,
  startWithAdminBucket,
  upload,
} from './storage-helpers.ts';

let s: StorageStack;
let token: string;
let otherToken: string;
let bucketId: string;
const BUCKET = 'resumable';

const metadata = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');

function tus(
  method: 'POST' | 'PATCH' | 'HEAD' | 'DELETE',
  url: string,
  headers: Record<string, string> = {},
  options: { token?: string | null; body?: Buffer } = {},
) {
  const bearer = options.token === undefined ? token : options.token;
  return request(url, {
    method,
    headers: {
      'x-api-key': API_KEY,
      'tus-resumable': '1.0.0',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...headers,
    },
    body: options.body,
  });
}

async function create(length: number, fields: Record<string, string>, bearer?: string | null) {
  const response = await tus(
    'POST',
    `${s.url}/storage/uploads`,
    {
      'upload-length': String(length),
      'upload-metadata': metadata(fields),
    },
    { token: bearer },
  );
  const text = await response.body.text();
  const location = response.headers.location as string | undefined;
  return {
    status: response.statusCode,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    url: location ? new URL(location, `${s.url}/storage/uploads`).toString() : '',
    location,
  };
}

const patch = async (url: string, offset: number, body: Buffer, bearer?: string) => {
  const response = await tus(
    'PATCH',
    url,
    { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
    { body, token: bearer },
  );
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
};

const offsetOf = async (url: string, bearer?: string | null) => {
  const response = await tus('HEAD', url, {}, { token: bearer });
  await response.body.dump();
  return {
    status: response.statusCode,
    offset: Number(response.headers['upload-offset']),
    headers: response.headers,
  };
};

before(async () => {
  ({ s, token, bucketId } = await startWithAdminBucket(BUCKET, {
    file_size_limit: 20 * 1024 * 1024,
    allowed_mime_types: ['video/*', 'application/octet-stream'],
  }));
  otherToken = (await registerUser(s.t.app, 'tus-other@example.com')).access_token;
});
after(() => s.close());

describe('tus 1.0', () => {
  test('an upload resumed after a dropped connection ends as the same file row as a raw upload', async () => {
    const bytes = randomBytes(6 * 1024 * 1024);
    const created = await create(bytes.length, {
      bucket_id: bucketId,
      filename: 'movie.mp4',
      path: 'videos/movie.mp4',
      content_type: 'video/mp4',
      owner_id: 'someone-else',
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.match(created.location ?? '', /^uploads\/[0-9a-f]{32}$/);
    assert.equal((await patch(created.url, 0, bytes.subarray(0, 1024 * 1024))).status, 204);
    assert.equal((await offsetOf(created.url)).offset, 1024 * 1024);

    // The connection drops in the middle of the second PATCH.
    const port = Number(new URL(s.url).port);
    const path = new URL(created.url).pathname;
    await sendAndDrop(
      port,
      `PATCH ${path} HTTP/1.1\r\nHost: x\r\nx-api-key: ${API_KEY}\r\nauthorization: Bearer ${token}\r\n` +
        `tus-resumable: 1.0.0\r\nupload-offset: ${1024 * 1024}\r\ncontent-type: application/offset+octet-stream\r\n` +
        `content-length: ${bytes.length - 1024 * 1024}\r\n\r\n`,
      bytes.subarray(1024 * 1024, 3 * 1024 * 1024),
      300,
    );

    // HEAD tells where to resume: somewhere after what the first PATCH sent, never past what was sent.
    let offset = 0;
    for (let i = 0; i < 100; i++) {
      const head = await offsetOf(created.url);
      offset = head.offset;
      // The dropped request may still hold the upload's lock for a moment; wait until the offset is final.
      if (offset > 1024 * 1024) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(offset > 1024 * 1024 && offset <= 3 * 1024 * 1024, `resume offset ${offset}`);
    assert.equal(
      (await call(s.t.app, 'GET', `/storage/files/count?bucket_id=${bucketId}`, { token })).body,
      0,
    );

    let finished = await patch(created.url, offset, bytes.subarray(offset));
    for (let i = 0; finished.status === 409 && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      offset = (await offsetOf(created.url)).offset;
      finished = await patch(created.url, offset, bytes.subarray(offset));
    }
    assert.equal(finished.status, 204, finished.text);
    assert.equal(finished.headers['upload-offset'], String(bytes.length));
    const fileId = String(finished.headers['x-selfdb-file-id']);
    assert.equal(decodeURIComponent(String(finished.headers['x-selfdb-file-path'])), 'videos/movie.mp4');

    const row = (await call(s.t.app, 'GET', `/storage/files/${fileId}`, { token })).body;
    assert.equal(row.path, 'videos/movie.mp4');
    assert.equal(row.size, bytes.length);
    assert.equal(row.mime_type, 'video/mp4');
    assert.equal(row.checksum_sha256, createHash('sha256').update(bytes).digest('hex'));
    const me = (await call(s.t.app, 'GET', '/users/me', { token })).body;
    assert.equal(row.owner_id, me.id, 'the owner comes from the token, not from the metadata');
    const down = await download(s.t.app, `/storage/files/download/${BUCKET}/videos/movie.mp4`, { token });
    assert.ok(down.bytes.equals(bytes));
    const bucket = (await call(s.t.app, 'GET', `/storage/buckets/${bucketId}`, { token })).body;
    assert.equal(bucket.total_size, bytes.length);
    assert.deepEqual(
      filesOnDisk(s.storage.root).filter((p) => p.startsWith('.selfdb-uploads/')),
      [],
    );
    assert.equal((await offsetOf(created.url)).status, 404);
  });

  test('a finished upload to a taken path is renamed like a raw upload', async () => {
    await upload(s.t.app, bucketId, 'taken.bin', 'raw', { token });
    const created = await create(5, { bucket_id: bucketId, filename: 'taken.bin' });
    const done = await patch(created.url, 0, Buffer.from('hello'));
    assert.equal(done.status, 204);
    assert.equal(decodeURIComponent(String(done.headers['x-selfdb-file-path'])), 'taken (1).bin');
  });

  test('an upload belongs to its creator; termination removes it', async () => {
    const created = await create(100, { bucket_id: bucketId, filename: 'mine.bin' });
    assert.equal((await offsetOf(created.url, otherToken)).status, 404);
    assert.equal((await patch(created.url, 0, Buffer.alloc(100), otherToken)).status, 404);
    assert.equal((await offsetOf(created.url, null)).status, 401);
    assert.equal((await offsetOf(created.url)).offset, 0);
    const deleted = await tus('DELETE', created.url);
    await deleted.body.dump();
    assert.equal(deleted.statusCode, 204);
    assert.equal((await offsetOf(created.url)).status, 404);
  });

  test('creation is refused for bad metadata, limits, types, invisible buckets and anonymous callers', async () => {
    const before = filesOnDisk(s.storage.root);
    const cases: [number, Record<string, string>, number, string | undefined][] = [
      [10, { filename: 'x' }, 400, 'BAD_REQUEST'],
      [10, { bucket_id: bucketId }, 400, 'BAD_REQUEST'],
      [10, { bucket_id: bucketId, filename: 'x', path: '../escape' }, 400, 'INVALID_PATH'],
      [10, { bucket_id: bucketId, filename: 'x', content_type: 'text/plain' }, 415, 'MIME_TYPE_NOT_ALLOWED'],
      [30 * 1024 * 1024, { bucket_id: bucketId, filename: 'x' }, 413, 'FILE_TOO_LARGE'],
      [10, { bucket_id: '00000000-0000-4000-8000-000000000000', filename: 'x' }, 404, 'NOT_FOUND'],
    ];
    for (const [length, fields, status, code] of cases) {
      const response = await create(length, fields);
      assert.equal(response.status, status, JSON.stringify({ fields, body: response.json }));
      assert.equal(response.json.code, code);
    }
    const privateOfOther = await createBucket(s.t.app, otherToken, 'others-private');
    assert.equal((await create(10, { bucket_id: privateOfOther, filename: 'x' })).status, 201, 'admins may');
    const userToken = (await registerUser(s.t.app, 'tus-third@example.com')).access_token;
    assert.equal((await create(10, { bucket_id: privateOfOther, filename: 'x' }, userToken)).status, 404);
    assert.equal((await create(10, { bucket_id: bucketId, filename: 'x' }, null)).status, 401);
    const noVersion = await request(`${s.url}/storage/uploads`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${token}`, 'upload-length': '1' },
    });
    await noVersion.body.dump();
    assert.equal(noVersion.statusCode, 412);
    assert.deepEqual(
      filesOnDisk(s.storage.root).filter((p) => !p.startsWith('.selfdb-uploads/')),
      before.filter((p) => !p.startsWith('.selfdb-uploads/')),
    );
  });
});
