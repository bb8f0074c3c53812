// One owner of upload policy: the backend chooses a stored file's name (SelfDB 0.0.5's `name (n).ext`) and its
// limits, the storage service writes exactly the path it is given and never over a file. A file on disk that the
// database does not know (left by a crash between the write and the row) is never overwritten: a resumable upload
// completes at the next free name, a one-request upload is refused with the 409 of a concurrent upload.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { API_KEY } from './helpers.ts';
import { download, type StorageStack, startWithAdminBucket, upload } from './storage-helpers.ts';

let s: StorageStack;
let token: string;
let bucketId: string;
const BUCKET = 'policy';

/** A file in the bucket's folder on disk, with no row in the database. */
function strayFile(path: string, content: string): void {
  const file = join(s.storage.root, BUCKET, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
}

const metadata = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');

async function tusUpload(filename: string, bytes: Buffer) {
  const headers = { 'x-api-key': API_KEY, 'tus-resumable': '1.0.0', authorization: `Bearer ${token}` };
  const created = await request(`${s.url}/storage/uploads`, {
    method: 'POST',
    headers: {
      ...headers,
      'upload-length': String(bytes.length),
      'upload-metadata': metadata({ bucket_id: bucketId, filename }),
    },
  });
  await created.body.dump();
  assert.equal(created.statusCode, 201);
  const url = new URL(String(created.headers.location), `${s.url}/storage/uploads`).toString();
  const patched = await request(url, {
    method: 'PATCH',
    headers: { ...headers, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: bytes,
  });
  const text = await patched.body.text();
  return { status: patched.statusCode, headers: patched.headers, text };
}

describe(
  'upload policy: the backend names files, the storage service never overwrites one',
  { timeout: 180_000 },
  () => {
    before(async () => {
      ({ s, token, bucketId } = await startWithAdminBucket(BUCKET));
    });
    after(() => s?.close());

    test('a resumable upload whose path is taken on disk only completes at the next free name', async () => {
      strayFile('stray.txt', 'left on disk');
      const done = await tusUpload('stray.txt', Buffer.from('resumed bytes'));
      assert.equal(done.status, 204, done.text);
      assert.equal(decodeURIComponent(String(done.headers['x-selfdb-file-path'])), 'stray (1).txt');
      assert.equal(readFileSync(join(s.storage.root, BUCKET, 'stray.txt'), 'utf8'), 'left on disk');
      const got = await download(
        s.t.app,
        `/storage/files/download/${BUCKET}/${encodeURIComponent('stray (1).txt')}`,
        {
          token,
        },
      );
      assert.equal(got.status, 200);
      assert.equal(got.bytes.toString(), 'resumed bytes');
    });

    test('a one-request upload whose path is taken on disk only is a 409 that overwrites nothing', async () => {
      strayFile('dir/kept.txt', 'left on disk');
      const refused = await upload(s.t.app, bucketId, 'kept.txt', 'new bytes', {
        token,
        path: 'dir/kept.txt',
      });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.code, 'FILE_EXISTS');
      assert.equal(readFileSync(join(s.storage.root, BUCKET, 'dir/kept.txt'), 'utf8'), 'left on disk');
      const row = await download(s.t.app, `/storage/files/download/${BUCKET}/dir/kept.txt`, { token });
      // The stray bytes are not served: no row was written for them.
      assert.equal(row.status, 404);
    });

    test('the database chooses the name: a taken path becomes name (1).ext, written exactly there', async () => {
      assert.equal((await upload(s.t.app, bucketId, 'a.tar.gz', 'one', { token })).status, 201);
      const second = await upload(s.t.app, bucketId, 'a.tar.gz', 'two', { token });
      assert.equal(second.status, 201);
      assert.equal(second.body.path, 'a.tar (1).gz');
      assert.equal(readFileSync(join(s.storage.root, BUCKET, 'a.tar (1).gz'), 'utf8'), 'two');
    });
  },
);
