// Signed URLs: a signed-in reader of a private file asks for a time-limited URL that then works without a token
// and without the API key, for that file only, until it expires or the file is replaced.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, call, login, registerUser } from './helpers.ts';
import { createBucket, download, startStorageStack, type StorageStack, upload } from './storage-helpers.ts';

let s: StorageStack;
let ownerToken: string;
let bucketId: string;
let fileId: string;

before(async () => {
  s = await startStorageStack({ STORAGE_SIGNED_URL_MAX_SECONDS: '86400' });
  ownerToken = (await registerUser(s.t.app, 'signer@example.com')).access_token;
  bucketId = await createBucket(s.t.app, ownerToken, 'private-docs');
  const up = await upload(s.t.app, bucketId, 'x', 'top secret bytes', {
    token: ownerToken,
    path: 'reports/q3 résumé.pdf',
    contentType: 'application/pdf',
  });
  fileId = String(up.body.file_id);
});
after(() => s.close());

const sign = async (body: object = {}, token = ownerToken, id = fileId) =>
  call(s.t.app, 'POST', `/storage/files/${id}/signed-url`, { token, body });

test('the owner gets a URL that works without token or API key, with Range and the usual headers', async () => {
  const signed = await sign({ expires_in: 600 });
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  assert.equal(signed.body.expires_in, 600);
  const url = String(signed.body.url);
  assert.match(
    url,
    /^\/storage\/signed\/private-docs\/reports\/q3%20r%C3%A9sum%C3%A9\.pdf\?expires=\d+&signature=[\w-]+$/,
  );
  const expiresAt = Date.parse(String(signed.body.expires_at));
  assert.ok(Math.abs(expiresAt - (Date.now() + 600_000)) < 5000);
  const got = await download(s.t.app, url, { apiKey: null });
  assert.equal(got.status, 200);
  assert.equal(got.bytes.toString(), 'top secret bytes');
  assert.equal(got.headers['content-type'], 'application/pdf');
  assert.match(String(got.headers['content-disposition']), /^attachment; filename="q3 r_sum_\.pdf"/);
  const part = await download(s.t.app, url, { apiKey: null, headers: { range: 'bytes=4-9' } });
  assert.equal(part.status, 206);
  assert.equal(part.bytes.toString(), 'secret');
  // Without the signature the same file stays private.
  const plain = await download(
    s.t.app,
    '/storage/files/download/private-docs/reports/q3%20r%C3%A9sum%C3%A9.pdf',
  );
  assert.equal(plain.status, 404);
});

test('a tampered, foreign or expired URL is refused with 403', async () => {
  const url = new URL(String((await sign()).body.url), 'http://x');
  const variants: [string, string][] = [
    [
      'later expiry',
      `${url.pathname}?expires=${Number(url.searchParams.get('expires')) + 1}&signature=${url.searchParams.get('signature')}`,
    ],
    ['other path', `/storage/signed/private-docs/reports/other.pdf${url.search}`],
    ['bad signature', `${url.pathname}?expires=${url.searchParams.get('expires')}&signature=AAAA`],
    ['unknown bucket', `/storage/signed/no-such-bucket/reports/x.pdf${url.search}`],
  ];
  for (const [what, path] of variants) {
    const response = await download(s.t.app, path, { apiKey: null });
    assert.equal(response.status, 403, what);
    assert.equal(JSON.parse(response.bytes.toString()).code, 'SIGNED_URL_INVALID', what);
  }
  const expired = await download(
    s.t.app,
    `${url.pathname}?expires=${Math.floor(Date.now() / 1000) - 1}&signature=${url.searchParams.get('signature')}`,
    { apiKey: null },
  );
  assert.equal(expired.status, 403);
  assert.equal(JSON.parse(expired.bytes.toString()).code, 'SIGNED_URL_EXPIRED');
  const missing = await download(s.t.app, url.pathname, { apiKey: null });
  assert.equal(missing.status, 422);
});

test('a URL dies with its file: a new file at the same path does not match it', async () => {
  const other = await upload(s.t.app, bucketId, 'x', 'first', { token: ownerToken, path: 'replace.txt' });
  const url = String((await sign({}, ownerToken, String(other.body.file_id))).body.url);
  assert.equal((await download(s.t.app, url, { apiKey: null })).bytes.toString(), 'first');
  assert.equal(
    (await call(s.t.app, 'DELETE', `/storage/files/${other.body.file_id}`, { token: ownerToken })).status,
    204,
  );
  await upload(s.t.app, bucketId, 'x', 'second', { token: ownerToken, path: 'replace.txt' });
  assert.equal((await download(s.t.app, url, { apiKey: null })).status, 403);
});

test('only readers of the file may sign; lifetimes are bounded', async () => {
  const stranger = (await registerUser(s.t.app, 'stranger-signer@example.com')).access_token;
  assert.equal((await sign({}, stranger)).status, 404);
  assert.equal(
    (await call(s.t.app, 'POST', `/storage/files/${fileId}/signed-url`, { body: {} })).status,
    401,
  );
  const admin = (await login(s.t.app, ADMIN.email, ADMIN.password)).access_token;
  assert.equal((await sign({}, admin)).status, 200);
  assert.equal((await sign({ expires_in: 0 })).status, 422);
  assert.equal((await sign({ expires_in: 86401 })).status, 422);
  const noBody = await call(s.t.app, 'POST', `/storage/files/${fileId}/signed-url`, { token: ownerToken });
  assert.equal(noBody.status, 200);
  assert.equal(noBody.body.expires_in, 3600);
});
