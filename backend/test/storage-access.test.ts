// Authorization of every storage operation as a table of scenarios (SPEC §2.1): (no key, anonymous, user, other
// user, bucket owner, admin) × (public, private bucket). "user" uploaded the target file of the public bucket;
// in the private bucket, which only its owner can write, "user" is just another user.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, API_KEY, call, login, registerUser } from './helpers.ts';
import { createBucket, download, startStorageStack, type StorageStack, upload } from './storage-helpers.ts';

type Actor = 'nokey' | 'anonymous' | 'user' | 'other' | 'owner' | 'admin';
type Visibility = 'public' | 'private';
const ACTORS: Actor[] = ['nokey', 'anonymous', 'user', 'other', 'owner', 'admin'];

interface Target {
  bucketId: string;
  bucketName: string;
  fileId: string;
  filePath: string;
}

interface Scenario {
  name: string;
  method: string;
  /** `:bucket`, `:bucketName`, `:file`, `:path` are replaced by the target's. */
  path: string;
  body?: unknown;
  /** Raw upload body instead of JSON. */
  raw?: string;
  /** Each actor gets its own bucket or file, because the operation deletes it. */
  fresh?: 'bucket' | 'file';
  expect: Record<Visibility, Omit<Record<Actor, number>, 'nokey'>>;
}

const everyone = (status: number) => ({
  anonymous: status,
  user: status,
  other: status,
  owner: status,
  admin: status,
});
const readable = {
  public: everyone(200),
  private: { anonymous: 404, user: 404, other: 404, owner: 200, admin: 200 },
};

const SCENARIOS: Scenario[] = [
  {
    name: 'count buckets',
    method: 'GET',
    path: '/storage/buckets/count',
    expect: { public: everyone(200), private: everyone(200) },
  },
  {
    name: 'list buckets',
    method: 'GET',
    path: '/storage/buckets/',
    expect: { public: everyone(200), private: everyone(200) },
  },
  {
    name: 'create a bucket',
    method: 'POST',
    path: '/storage/buckets/',
    body: { name: 'new-bucket-:n' },
    expect: {
      public: { anonymous: 401, user: 201, other: 201, owner: 201, admin: 201 },
      private: { anonymous: 401, user: 201, other: 201, owner: 201, admin: 201 },
    },
  },
  { name: 'get a bucket', method: 'GET', path: '/storage/buckets/:bucket', expect: readable },
  {
    name: 'update a bucket',
    method: 'PATCH',
    path: '/storage/buckets/:bucket',
    body: { description: 'changed' },
    expect: {
      public: { anonymous: 401, user: 403, other: 403, owner: 200, admin: 200 },
      private: { anonymous: 401, user: 404, other: 404, owner: 200, admin: 200 },
    },
  },
  {
    name: 'delete a bucket',
    method: 'DELETE',
    path: '/storage/buckets/:bucket',
    fresh: 'bucket',
    expect: {
      public: { anonymous: 401, user: 403, other: 403, owner: 204, admin: 204 },
      private: { anonymous: 401, user: 404, other: 404, owner: 204, admin: 204 },
    },
  },
  {
    name: 'storage stats',
    method: 'GET',
    path: '/storage/files/stats',
    expect: { public: everyone(200), private: everyone(200) },
  },
  {
    name: 'total file count',
    method: 'GET',
    path: '/storage/files/total-count',
    expect: { public: everyone(200), private: everyone(200) },
  },
  { name: 'count files', method: 'GET', path: '/storage/files/count?bucket_id=:bucket', expect: readable },
  { name: 'list files', method: 'GET', path: '/storage/files/?bucket_id=:bucket', expect: readable },
  {
    name: 'upload a file',
    method: 'POST',
    path: '/storage/files/upload?bucket_id=:bucket&filename=up-:n.txt',
    raw: 'uploaded',
    expect: {
      public: { anonymous: 401, user: 201, other: 201, owner: 201, admin: 201 },
      private: { anonymous: 401, user: 404, other: 404, owner: 201, admin: 201 },
    },
  },
  { name: 'get a file', method: 'GET', path: '/storage/files/:file', expect: readable },
  {
    name: 'update file metadata',
    method: 'PATCH',
    path: '/storage/files/:file',
    body: { tag: 'x' },
    expect: {
      public: { anonymous: 401, user: 200, other: 403, owner: 200, admin: 200 },
      private: { anonymous: 401, user: 404, other: 404, owner: 200, admin: 200 },
    },
  },
  {
    name: 'delete a file',
    method: 'DELETE',
    path: '/storage/files/:file',
    fresh: 'file',
    expect: {
      public: { anonymous: 401, user: 204, other: 403, owner: 204, admin: 204 },
      private: { anonymous: 401, user: 404, other: 404, owner: 204, admin: 204 },
    },
  },
  {
    name: 'download a file',
    method: 'GET',
    path: '/storage/files/download/:bucketName/:path',
    expect: readable,
  },
  {
    name: 'create a signed URL',
    method: 'POST',
    path: '/storage/files/:file/signed-url',
    body: {},
    expect: {
      public: { anonymous: 401, user: 200, other: 200, owner: 200, admin: 200 },
      private: { anonymous: 401, user: 404, other: 404, owner: 200, admin: 200 },
    },
  },
];

let s: StorageStack;
const tokens: Partial<Record<Actor, string>> = {};
const targets = {} as Record<Visibility, Target>;
let counter = 0;

/** A bucket of the owner, and a file in it: uploaded by "user" when the bucket is public, else by the owner. */
async function makeTarget(visibility: Visibility, withFile = true): Promise<Target> {
  const bucketName = `${visibility}-${++counter}`;
  const bucketId = await createBucket(s.t.app, tokens.owner!, bucketName, {
    public: visibility === 'public',
  });
  if (!withFile) return { bucketId, bucketName, fileId: '', filePath: '' };
  return { bucketId, bucketName, ...(await makeFile(visibility, bucketId)) };
}

async function makeFile(visibility: Visibility, bucketId: string) {
  const uploader = visibility === 'public' ? tokens.user! : tokens.owner!;
  const filePath = `dir/file ${++counter}.txt`;
  const response = await upload(s.t.app, bucketId, 'file.txt', 'content', {
    token: uploader,
    path: filePath,
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return { fileId: String(response.body.file_id), filePath };
}

before(async () => {
  s = await startStorageStack();
  tokens.admin = (await login(s.t.app, ADMIN.email, ADMIN.password)).access_token;
  tokens.owner = (await registerUser(s.t.app, 'bucket-owner@example.com')).access_token;
  tokens.user = (await registerUser(s.t.app, 'uploader@example.com')).access_token;
  tokens.other = (await registerUser(s.t.app, 'stranger@example.com')).access_token;
  targets.public = await makeTarget('public');
  targets.private = await makeTarget('private');
});
after(() => s.close());

describe('/storage authorization', () => {
  for (const scenario of SCENARIOS) {
    for (const visibility of ['public', 'private'] as const) {
      for (const actor of ACTORS) {
        const expected = actor === 'nokey' ? 406 : scenario.expect[visibility][actor];
        test(`${scenario.name} (${visibility}) as ${actor} → ${expected}`, async () => {
          let target = targets[visibility];
          if (scenario.fresh === 'bucket') target = await makeTarget(visibility, false);
          if (scenario.fresh === 'file')
            target = { ...target, ...(await makeFile(visibility, target.bucketId)) };
          const n = String(++counter);
          const path = scenario.path
            .replace(':bucketName', target.bucketName)
            .replace(':bucket', target.bucketId)
            .replace(':file', target.fileId)
            .replace(':path', target.filePath.split('/').map(encodeURIComponent).join('/'))
            .replace(':n', n);
          const token = tokens[actor];
          let status: number;
          let body: Record<string, unknown> = {};
          if (scenario.raw !== undefined || scenario.path.includes('/download/')) {
            const headers: Record<string, string> = { 'content-type': 'text/plain' };
            if (actor !== 'nokey') headers['x-api-key'] = API_KEY;
            if (token) headers.authorization = `Bearer ${token}`;
            const response = await s.t.app.inject({
              method: scenario.method as 'GET',
              url: path,
              headers,
              payload: scenario.raw,
            });
            status = response.statusCode;
            body = status >= 400 ? response.json() : {};
          } else {
            const json = JSON.parse(JSON.stringify(scenario.body ?? null)?.replace(':n', n) ?? 'null');
            const response = await call(s.t.app, scenario.method, path, {
              token,
              apiKey: actor === 'nokey' ? null : undefined,
              body: json ?? undefined,
            });
            status = response.status;
            body = response.body;
          }
          assert.equal(status, expected, JSON.stringify(body));
          if (expected >= 400) {
            assert.equal(typeof body.detail, 'string');
            assert.equal(typeof body.code, 'string');
          }
        });
      }
    }
  }
});

describe('what each caller sees', () => {
  const listNames = async (token?: string) =>
    (
      (await call(s.t.app, 'GET', '/storage/buckets/?limit=100', { token })).body as unknown as {
        name: string;
      }[]
    ).map((b) => b.name);

  test('private buckets are invisible to everyone but their owner and admins, in lists and counts alike', async () => {
    for (const actor of ['anonymous', 'user', 'other', 'owner', 'admin'] as const) {
      const names = await listNames(tokens[actor]);
      const seesPrivate = actor === 'owner' || actor === 'admin';
      assert.equal(names.includes(targets.private.bucketName), seesPrivate, `${actor} list`);
      assert.ok(names.includes(targets.public.bucketName), `${actor} sees the public bucket`);
      const count = (await call(s.t.app, 'GET', '/storage/buckets/count', { token: tokens[actor] })).body;
      assert.equal(count, names.length, `${actor}: count agrees with the list`);
      const stats = (await call(s.t.app, 'GET', '/storage/files/stats', { token: tokens[actor] })).body;
      assert.equal(stats.bucket_count, names.length, `${actor}: stats count the same buckets`);
    }
  });

  test('a private file cannot be reached by id, path or count by anyone else', async () => {
    const { fileId, bucketName, filePath } = targets.private;
    const url = `/storage/files/download/${bucketName}/${filePath.split('/').map(encodeURIComponent).join('/')}`;
    for (const token of [undefined, tokens.other]) {
      assert.equal((await call(s.t.app, 'GET', `/storage/files/${fileId}`, { token })).status, 404);
      const denied = await download(s.t.app, url, { token });
      assert.equal(denied.status, 404);
      assert.ok(!denied.bytes.toString().includes('content'));
    }
    const owner = await download(s.t.app, url, { token: tokens.owner });
    assert.equal(owner.bytes.toString(), 'content');
    const othersTotal = Number(
      (await call(s.t.app, 'GET', '/storage/files/total-count', { token: tokens.other })).body,
    );
    const adminTotal = Number(
      (await call(s.t.app, 'GET', '/storage/files/total-count', { token: tokens.admin })).body,
    );
    assert.ok(adminTotal > othersTotal, `${adminTotal} > ${othersTotal}`);
  });

  test('a refused change changes nothing', async () => {
    const { bucketId, fileId } = targets.public;
    await call(s.t.app, 'PATCH', `/storage/buckets/${bucketId}`, {
      token: tokens.other,
      body: { public: false },
    });
    assert.equal((await call(s.t.app, 'GET', `/storage/buckets/${bucketId}`)).body.public, true);
    await call(s.t.app, 'PATCH', `/storage/files/${fileId}`, { token: tokens.other, body: { hacked: true } });
    const metadata = (await call(s.t.app, 'GET', `/storage/files/${fileId}`)).body.metadata as Record<
      string,
      unknown
    >;
    assert.equal(metadata.hacked, undefined);
    await call(s.t.app, 'DELETE', `/storage/files/${fileId}`, { token: tokens.other });
    assert.equal((await call(s.t.app, 'GET', `/storage/files/${fileId}`)).status, 200);
  });
});
