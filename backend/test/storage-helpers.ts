// Shared set-up of the storage tests: a real storage service (its Fastify app on a real port, bytes in a temp
// directory) and a backend wired to it, plus small HTTP helpers for raw-body uploads and downloads.
import type { AddressInfo } from 'node:net';
import { storageServiceKey } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { LocalStoreOptions } from '../../storage/src/backends/local.ts';
import { startStorage, type TestStorage } from '../../storage/test/helpers.ts';
import { ADMIN, API_KEY, call, login, SECRET_KEY, startTestApp, type TestApp } from './helpers.ts';

// The storage service's own test helpers serve here too.
export { eventually, filesUnder as filesOnDisk, sendAndDrop } from '../../storage/test/helpers.ts';

export interface StorageStack {
  t: TestApp;
  /** `stop()` it to give the backend a storage service that is down. */
  storage: TestStorage;
  /** Base URL of the backend, listening on a real port (for streaming tests). */
  url: string;
  close(): Promise<void>;
}

/** A backend on a fresh database, listening on a real port, wired to a fresh storage service. */
export async function startStorageStack(
  overrides: Record<string, string> = {},
  storageOptions: LocalStoreOptions = {},
): Promise<StorageStack> {
  const storage = await startStorage(storageServiceKey(SECRET_KEY), storageOptions);
  const t = await startTestApp({
    STORAGE_HOST: '127.0.0.1',
    STORAGE_INTERNAL_PORT: String(await storage.listen()),
    ...overrides,
  });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  return {
    t,
    storage,
    url,
    async close() {
      await t.close();
      await storage.close();
    },
  };
}

/** The set-up most storage suites share: a stack, the admin's token, and one bucket of theirs. */
export async function startWithAdminBucket(name: string, settings: Record<string, unknown> = {}) {
  const s = await startStorageStack();
  const token = (await login(s.t.app, ADMIN.email, ADMIN.password)).access_token;
  const bucketId = await createBucket(s.t.app, token, name, settings);
  return { s, token, bucketId };
}

export interface UploadOptions {
  token?: string;
  path?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Raw-body upload through `app.inject` (small bodies). */
export async function upload(
  app: FastifyInstance,
  bucketId: string,
  filename: string,
  body: Buffer | string,
  options: UploadOptions = {},
) {
  const query = new URLSearchParams({ bucket_id: bucketId, filename });
  if (options.path !== undefined) query.set('path', options.path);
  if (options.contentType !== undefined) query.set('content_type', options.contentType);
  const response = await app.inject({
    method: 'POST',
    url: `/storage/files/upload?${query}`,
    headers: {
      'x-api-key': API_KEY,
      'content-type': 'application/octet-stream',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    payload: body,
  });
  let json: Record<string, unknown> = {};
  try {
    json = response.json();
  } catch {
    // not JSON
  }
  return { status: response.statusCode, headers: response.headers, body: json };
}

/** Raw download through `app.inject`: the bytes as a Buffer. */
export async function download(
  app: FastifyInstance,
  url: string,
  options: {
    token?: string;
    headers?: Record<string, string>;
    apiKey?: string | null;
    method?: 'GET' | 'HEAD';
  } = {},
) {
  const response = await app.inject({
    method: options.method ?? 'GET',
    url,
    headers: {
      ...(options.apiKey === null ? {} : { 'x-api-key': options.apiKey ?? API_KEY }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
  });
  return { status: response.statusCode, headers: response.headers, bytes: response.rawPayload };
}

/** Creates a bucket through the API and returns its id (fails the test when it cannot). */
export async function createBucket(
  app: FastifyInstance,
  token: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const response = await call(app, 'POST', '/storage/buckets/', { token, body: { name, ...extra } });
  if (response.status !== 201) {
    throw new Error(`create bucket ${name}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return String(response.body.id);
}
