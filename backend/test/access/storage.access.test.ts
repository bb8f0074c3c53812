// Access rules of storage buckets and files (SPEC §2.1). `user` owns a public and a private bucket, each with a
// file of theirs; `other-user` owns nothing. A public bucket and its files are read with the API key alone; a
// private one does not exist for anyone but its owner and admins (404, even without a token). Changing a bucket,
// or a file someone else uploaded, is for the owner and admins. (Uploads and the uploader's rights are in
// storage-access.test.ts.)
import assert from 'node:assert/strict';
import { createBucket, startStorageStack, upload } from '../storage-helpers.ts';
import {
  type AccessContext,
  type Actor,
  describeAccess,
  type Expect,
  rows,
  SIGNED_IN_ONLY,
} from './scenario.ts';

type Visibility = 'public' | 'private';
interface Target {
  bucketId: string;
  bucketName: string;
  fileId: string;
  filePath: string;
}
interface Seed {
  buckets: Record<Visibility, Target>;
}
type Ctx = Seed & AccessContext;
let counter = 0;

async function makeBucket(ctx: AccessContext, visibility: Visibility): Promise<Target> {
  const bucketName = `${visibility}-${++counter}`;
  const bucketId = await createBucket(ctx.app, ctx.user.token, bucketName, {
    public: visibility === 'public',
  });
  return { bucketId, bucketName, ...(await makeFile(ctx, bucketId)) };
}

async function makeFile(ctx: AccessContext, bucketId: string) {
  const filePath = `dir/file-${++counter}.txt`;
  const made = await upload(ctx.app, bucketId, 'file.txt', 'content', {
    token: ctx.user.token,
    path: filePath,
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return { fileId: String(made.body.file_id), filePath };
}

const NOT_FOUND = { status: 404, code: 'NOT_FOUND' };
const FORBIDDEN = { status: 403, code: 'FORBIDDEN' };
const KEY_REFUSED = {
  'no-api-key': SIGNED_IN_ONLY['no-api-key'],
  'wrong-api-key': SIGNED_IN_ONLY['wrong-api-key'],
  'bad-token': SIGNED_IN_ONLY['bad-token'],
  'inactive-user': SIGNED_IN_ONLY['inactive-user'],
};
const READ: Record<Visibility, Partial<Record<Actor, Expect>>> = {
  public: { ...KEY_REFUSED, 'anonymous-with-key': 200, user: 200, 'other-user': 200, admin: 200 },
  private: {
    ...KEY_REFUSED,
    'anonymous-with-key': NOT_FOUND,
    user: 200,
    'other-user': NOT_FOUND,
    admin: 200,
  },
};
/** A write on the owner's bucket or file: a stranger gets 403 on a public one, 404 on a private one. */
const write = (visibility: Visibility, ok: number): Partial<Record<Actor, Expect>> => ({
  ...SIGNED_IN_ONLY,
  'other-user': visibility === 'public' ? FORBIDDEN : NOT_FOUND,
  user: ok,
  admin: ok,
});

const bucket = (v: Visibility) => (ctx: Ctx) => `/storage/buckets/${ctx.buckets[v].bucketId}`;
const file = (v: Visibility) => (ctx: Ctx) => `/storage/files/${ctx.buckets[v].fileId}`;

function scenariosOf(v: Visibility) {
  return [
    ...rows({ name: `get a ${v} bucket`, method: 'GET', url: bucket(v) }, READ[v]),
    ...rows(
      {
        name: `list files of a ${v} bucket`,
        method: 'GET',
        url: (ctx: Ctx) => `/storage/files/?bucket_id=${ctx.buckets[v].bucketId}`,
      },
      READ[v],
    ),
    ...rows({ name: `get a file of a ${v} bucket`, method: 'GET', url: file(v) }, READ[v]),
    ...rows(
      {
        name: `download a file of a ${v} bucket`,
        method: 'GET',
        url: (ctx: Ctx) => `/storage/files/download/${ctx.buckets[v].bucketName}/${ctx.buckets[v].filePath}`,
      },
      READ[v],
    ),
    ...rows(
      { name: `update a ${v} bucket`, method: 'PATCH', url: bucket(v), body: { description: 'x' } },
      write(v, 200),
    ),
    ...rows(
      { name: `update a file of a ${v} bucket`, method: 'PATCH', url: file(v), body: { tag: 'x' } },
      write(v, 200),
    ),
    ...rows(
      {
        name: `delete a file of a ${v} bucket`,
        method: 'DELETE',
        url: async (ctx: Ctx) => `/storage/files/${(await makeFile(ctx, ctx.buckets[v].bucketId)).fileId}`,
      },
      write(v, 204),
    ),
    ...rows(
      {
        name: `delete a ${v} bucket`,
        method: 'DELETE',
        url: async (ctx: Ctx) => `/storage/buckets/${(await makeBucket(ctx, v)).bucketId}`,
      },
      write(v, 204),
    ),
  ];
}

describeAccess<Seed>('storage access', {
  start: async () => {
    const stack = await startStorageStack();
    return { ...stack.t, close: () => stack.close() };
  },
  seed: async (ctx) => ({
    buckets: { public: await makeBucket(ctx, 'public'), private: await makeBucket(ctx, 'private') },
  }),
  scenarios: [
    ...rows(
      { name: 'list buckets', method: 'GET', url: '/storage/buckets/' },
      { ...KEY_REFUSED, 'anonymous-with-key': 200, user: 200, admin: 200 },
    ),
    ...rows(
      {
        name: 'create a bucket',
        method: 'POST',
        url: '/storage/buckets/',
        body: () => ({ name: `made-${++counter}` }),
      },
      { ...SIGNED_IN_ONLY, user: 201, 'other-user': 201, admin: 201 },
    ),
    ...scenariosOf('public'),
    ...scenariosOf('private'),
  ],
});
