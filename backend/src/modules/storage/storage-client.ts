import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import {
  AppError,
  CONTENT_SHA256_HEADER,
  ErrorCode,
  ERRORS,
  type NewUpload,
  STORAGE_KEY_HEADER,
  type StoredObject,
  type UploadState,
} from '@selfdb/common';
import { Pool } from 'undici';

export interface ObjectResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes; null for HEAD, 304 and 416. The caller must consume it (or destroy it with an error listener). */
  body: Readable | null;
}

export interface StorageClientOptions {
  url: string;
  serviceKey: string;
  maxConnections: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));
const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** URL path of an object: each segment percent-encoded, so `%2e%2e` stays a literal name and never becomes `..`. */
function objectUrlPath(bucket: string, path: string): string {
  return `/api/v1/files/${encodeURIComponent(bucket)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Turns a failed call into the AppError the client should see; AppErrors raised by our own streams pass as is. */
function toAppError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const code = (err as { code?: string }).code;
  if (code && CONNECTION_FAILURES.has(code)) return ERRORS.storageUnavailable();
  return err as Error;
}

async function errorFromResponse(status: number, body: Readable & { json(): Promise<unknown> }) {
  const payload = (await body.json().catch(() => ({}))) as { detail?: unknown; code?: unknown };
  if (status === 401) {
    // The storage service refused our key: a configuration error, never the client's fault.
    return new Error('The storage service refused the backend: STORAGE_SERVICE_KEY or SECRET_KEY differ');
  }
  const code = typeof payload.code === 'string' && KNOWN_CODES.has(payload.code) ? payload.code : null;
  // 507 is the storage volume's free-space reserve: the client's upload is refused, it is no server failure.
  if ((status >= 500 && status !== 507) || !code) {
    if (status === 503) return ERRORS.storageUnavailable();
    return new Error(`storage service answered ${status}: ${JSON.stringify(payload)}`);
  }
  return new AppError(status, code as ErrorCode, String(payload.detail ?? 'Storage error'));
}

/**
 * The backend's HTTP client of the storage service (undici, keep-alive pool). Bodies are streamed both ways, never
 * buffered; a storage service that cannot be reached becomes 503 STORAGE_UNAVAILABLE.
 */
export function createStorageClient(options: StorageClientOptions) {
  const pool = new Pool(options.url, {
    connections: options.maxConnections,
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.readTimeoutMs,
    bodyTimeout: options.readTimeoutMs,
    keepAliveTimeout: 30_000,
  });
  const auth = { [STORAGE_KEY_HEADER]: options.serviceKey };

  async function call(
    method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    init: { headers?: Record<string, string>; body?: Readable | string } = {},
  ) {
    try {
      return await pool.request({ method, path, headers: { ...auth, ...init.headers }, body: init.body });
    } catch (err) {
      throw toAppError(err);
    }
  }

  /** A JSON call that must answer `expected`; anything else becomes the matching AppError. */
  async function json<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    expected: number,
    init: { headers?: Record<string, string>; body?: Readable | string } = {},
  ): Promise<T> {
    const response = await call(method, path, init);
    if (response.statusCode !== expected) throw await errorFromResponse(response.statusCode, response.body);
    if (expected === 204) {
      await response.body.dump();
      return undefined as T;
    }
    try {
      return (await response.body.json()) as T;
    } catch (err) {
      throw toAppError(err);
    }
  }

  const jsonBody = (value: unknown) => ({
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });

  return {
    async isHealthy(): Promise<boolean> {
      const response = await call('GET', '/health').catch(() => null);
      await response?.body.dump();
      return response?.statusCode === 200;
    },

    createBucket(name: string) {
      return json<{ name: string }>('POST', '/api/v1/buckets', 201, jsonBody({ name }));
    },
    deleteBucket(name: string) {
      return json<void>('DELETE', `/api/v1/buckets/${encodeURIComponent(name)}`, 204);
    },

    /**
     * Streams `body` into a new object at exactly `path` (chosen by the backend); 409 FILE_EXISTS when a file is
     * there already: the storage service never writes over one, nor picks another name.
     */
    putObject(
      bucket: string,
      path: string,
      body: Readable,
      put: { contentLength?: number; sha256?: string },
    ): Promise<StoredObject> {
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (put.contentLength !== undefined) headers['content-length'] = String(put.contentLength);
      if (put.sha256) headers[CONTENT_SHA256_HEADER] = put.sha256;
      return json('PUT', objectUrlPath(bucket, path), 201, { headers, body });
    },

    /** GET or HEAD of an object; Range, If-Range and If-None-Match are passed on, statuses come back as they are. */
    async getObject(
      bucket: string,
      path: string,
      method: 'GET' | 'HEAD',
      conditions: Record<string, string | undefined>,
    ): Promise<ObjectResponse> {
      const headers = Object.fromEntries(
        Object.entries(conditions).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      const response = await call(method, objectUrlPath(bucket, path), { headers });
      if (response.statusCode === 404) {
        await response.body.dump();
        throw AppError.notFound('File not found');
      }
      if (response.statusCode >= 400 && response.statusCode !== 416) {
        throw await errorFromResponse(response.statusCode, response.body);
      }
      if (method === 'HEAD' || response.statusCode === 304 || response.statusCode === 416) {
        // Read and drop what little there is: destroying an undici body would raise an unhandled AbortError.
        await response.body.dump();
        return { status: response.statusCode, headers: response.headers, body: null };
      }
      return { status: response.statusCode, headers: response.headers, body: response.body };
    },

    deleteObject(bucket: string, path: string) {
      return json<void>('DELETE', objectUrlPath(bucket, path), 204);
    },

    createUpload(upload: NewUpload) {
      return json<UploadState>('POST', '/api/v1/uploads', 201, jsonBody(upload));
    },
    async getUpload(id: string): Promise<UploadState | null> {
      const response = await call('GET', `/api/v1/uploads/${encodeURIComponent(id)}`);
      if (response.statusCode === 404) {
        await response.body.dump();
        return null;
      }
      if (response.statusCode !== 200) throw await errorFromResponse(response.statusCode, response.body);
      return (await response.body.json()) as UploadState;
    },
    appendUpload(id: string, offset: number, body: Readable) {
      return json<UploadState>('PATCH', `/api/v1/uploads/${encodeURIComponent(id)}`, 200, {
        headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) },
        body,
      });
    },
    /** Links a whole upload into its bucket at exactly `path`; 409 FILE_EXISTS (the upload stays) when taken. */
    completeUpload(id: string, path: string) {
      return json<StoredObject>(
        'POST',
        `/api/v1/uploads/${encodeURIComponent(id)}/complete`,
        201,
        jsonBody({ path }),
      );
    },
    deleteUpload(id: string) {
      return json<void>('DELETE', `/api/v1/uploads/${encodeURIComponent(id)}`, 204);
    },

    close() {
      return pool.close();
    },
  };
}

export type StorageClient = ReturnType<typeof createStorageClient>;
