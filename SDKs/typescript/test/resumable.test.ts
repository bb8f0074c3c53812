// The SDK's tus client against a real backend and storage service over real HTTP: an upload in chunks that
// survives a request that never left and an answer that never came back (it asks the server where it stands and
// goes on from there), resumption by id, a refusal shown with the API's detail, and abandoning an upload.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ADMIN, API_KEY } from '../../../backend/test/helpers.ts';
import {
  createBucket,
  download,
  type StorageStack,
  startStorageStack,
} from '../../../backend/test/storage-helpers.ts';
import {
  createSelfDB,
  deleteResumableUpload,
  encodeUploadMetadata,
  getFileMetadata,
  isRetryable,
  nextChunk,
  parseOffset,
  type SelfDB,
  SelfDBError,
  unwrap,
  uploadIdFromLocation,
  uploadResumable,
} from '../src/index.ts';

describe('tus helpers (pure)', () => {
  test('metadata is base64 of UTF-8, empty values left out', () => {
    assert.equal(
      encodeUploadMetadata({ filename: 'é.txt', path: undefined, bucket_id: 'b', content_type: '' }),
      `filename ${Buffer.from('é.txt').toString('base64')},bucket_id Yg==`,
    );
  });

  test('the upload id comes from a relative or absolute Location, and nothing else passes', () => {
    assert.equal(uploadIdFromLocation('uploads/abc_123-x'), 'abc_123-x');
    assert.equal(uploadIdFromLocation('http://h/api/storage/uploads/abc'), 'abc');
    assert.throws(() => uploadIdFromLocation(null), SelfDBError);
    assert.throws(() => uploadIdFromLocation('uploads/..%2Fetc'), SelfDBError);
  });

  test('chunks follow the offset the server reports, and an impossible offset stops the upload', () => {
    assert.deepEqual(nextChunk(0, 10, 4), { start: 0, end: 4 });
    assert.deepEqual(nextChunk(8, 10, 4), { start: 8, end: 10 });
    assert.deepEqual(nextChunk(3, 10, 0), { start: 3, end: 4 });
    assert.throws(() => nextChunk(11, 10, 4), /impossible upload offset/);
    assert.throws(() => nextChunk(-1, 10, 4), /impossible upload offset/);
    assert.equal(parseOffset('42'), 42);
    for (const bad of [null, '', 'x', '-1', '1.5']) assert.throws(() => parseOffset(bad), SelfDBError);
  });

  test('only failures a HEAD can fix are retried', () => {
    for (const status of [0, 409, 423, 429, 500, 503]) assert.ok(isRetryable(new SelfDBError(status, 'x')));
    for (const status of [400, 401, 403, 404, 413, 415])
      assert.ok(!isRetryable(new SelfDBError(status, 'x')));
  });
});

describe('uploadResumable against SelfDB', { timeout: 120_000 }, () => {
  let s: StorageStack;
  let bucketId: string;
  let token: string;

  before(async () => {
    s = await startStorageStack();
  });

  after(async () => {
    await s?.close();
  });

  /** A signed-in SDK whose fetch goes wrong as `fault` says for the n-th PATCH. */
  async function connect(fault?: (patchNumber: number) => 'drop-request' | 'drop-answer' | null) {
    let patches = 0;
    const flaky: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (request.method !== 'PATCH' || !fault) return fetch(request);
      const what = fault(++patches);
      if (what === 'drop-request') throw new TypeError('network connection lost');
      const response = await fetch(request);
      if (what === 'drop-answer') {
        await response.arrayBuffer();
        throw new TypeError('network connection lost');
      }
      return response;
    };
    const selfdb: SelfDB = createSelfDB({ baseUrl: s.url, apiKey: API_KEY, fetch: flaky });
    await selfdb.auth.login(ADMIN.email, ADMIN.password);
    token = selfdb.auth.tokens!.access_token;
    bucketId ??= await createBucket(s.t.app, token, 'resumable-sdk');
    return { selfdb, patches: () => patches };
  }

  test('survives a lost request and a lost answer, reporting progress, and becomes the file', async () => {
    const { selfdb, patches } = await connect((n) =>
      n === 2 ? 'drop-request' : n === 4 ? 'drop-answer' : null,
    );
    const bytes = randomBytes(300_000);
    const progress: number[] = [];
    const retries: number[] = [];
    const result = await uploadResumable({
      client: selfdb.client,
      file: new Blob([bytes], { type: 'application/x-test' }),
      bucketId,
      filename: 'big.bin',
      chunkSize: 64 * 1024,
      retryDelays: [10, 10, 10],
      onProgress: (sent) => progress.push(sent),
      onRetry: (error) => retries.push(error.status),
    });
    assert.deepEqual(retries, [0, 0]);
    // 5 chunks, one sent twice (its answer was lost, the HEAD said it had arrived: not sent again), one retried.
    assert.equal(patches(), 6);
    assert.equal(progress.at(-1), bytes.length);
    assert.ok(
      progress.every((value, i) => i === 0 || value >= progress[i - 1]!),
      'progress never goes back',
    );
    assert.equal(result.size, bytes.length);
    assert.equal(result.path, 'big.bin');
    assert.ok(result.fileId);
    const file = unwrap(await getFileMetadata({ client: selfdb.client, path: { file_id: result.fileId } }));
    assert.equal(file.size, bytes.length);
    assert.equal(file.mime_type, 'application/x-test');
    const got = await download(s.t.app, '/storage/files/download/resumable-sdk/big.bin', { token });
    assert.equal(got.status, 200);
    assert.ok(Buffer.from(got.bytes).equals(bytes), 'the stored bytes are the uploaded ones');
  });

  test('an upload stopped when the retries ran out goes on later from its id', async () => {
    let failing = true;
    const { selfdb } = await connect((n) => (failing && n >= 2 ? 'drop-request' : null));
    const bytes = randomBytes(200_000);
    let uploadId = '';
    await assert.rejects(
      uploadResumable({
        client: selfdb.client,
        file: new Blob([bytes]),
        bucketId,
        filename: 'later.bin',
        chunkSize: 64 * 1024,
        retryDelays: [5],
        onCreated: (id) => (uploadId = id),
      }),
      (err: unknown) => err instanceof SelfDBError && err.status === 0,
    );
    assert.ok(uploadId);
    failing = false;
    const sent: number[] = [];
    const result = await uploadResumable({
      client: selfdb.client,
      file: new Blob([bytes]),
      bucketId,
      filename: 'later.bin',
      chunkSize: 64 * 1024,
      uploadId,
      onProgress: (value) => sent.push(value),
    });
    assert.equal(sent[0], 64 * 1024, 'it starts where the server stood, not at 0');
    assert.equal(result.path, 'later.bin');
    const got = await download(s.t.app, '/storage/files/download/resumable-sdk/later.bin', { token });
    assert.ok(Buffer.from(got.bytes).equals(bytes));
  });

  test("a refusal is not retried and carries the API's detail; an abandoned upload is gone", async () => {
    const { selfdb } = await connect();
    await assert.rejects(
      uploadResumable({
        client: selfdb.client,
        file: new Blob(['x']),
        bucketId: '00000000-0000-4000-8000-000000000000',
        filename: 'x.txt',
        retryDelays: [5],
      }),
      (err: unknown) => err instanceof SelfDBError && err.status === 404 && /bucket/i.test(err.detail),
    );
    const controller = new AbortController();
    let uploadId = '';
    await assert.rejects(
      uploadResumable({
        client: selfdb.client,
        file: new Blob([randomBytes(100_000)]),
        bucketId,
        filename: 'abandoned.bin',
        chunkSize: 32 * 1024,
        signal: controller.signal,
        onProgress: (sent) => {
          if (sent > 0) controller.abort(new Error('stopped by the user'));
        },
        onCreated: (id) => (uploadId = id),
      }),
      /stopped by the user/,
    );
    await deleteResumableUpload(selfdb.client, uploadId);
    await assert.rejects(
      uploadResumable({
        client: selfdb.client,
        file: new Blob([randomBytes(100_000)]),
        bucketId,
        filename: 'abandoned.bin',
        uploadId,
        retryDelays: [],
      }),
      (err: unknown) => err instanceof SelfDBError && err.status === 404,
    );
  });
});
