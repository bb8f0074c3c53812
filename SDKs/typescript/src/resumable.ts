// Resumable uploads: a small tus 1.0 client for SelfDB's /storage/uploads (creation, PATCH in chunks, HEAD to learn
// where to resume, termination). Every request goes through the SDK client, so the API key, the session's token
// (and whatever fetch the client was given, e.g. one that refreshes tokens) come along. No dependency: fetch, Blob
// and AbortSignal only, in browsers and in Node 20.
import { SelfDBError } from './errors.ts';
import type { Client } from './gen/client/index.ts';

const TUS_VERSION = '1.0.0';
const UPLOAD_PATH = '/storage/uploads/{upload_id}';

/** 4 MiB: a progress step per chunk, and little to send again after a dropped connection. */
export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
/** Waits (ms) before each retry after a failure; the count starts over once a chunk gets through. */
export const DEFAULT_RETRY_DELAYS = [1000, 2000, 5000, 10_000, 20_000, 30_000];

export interface ResumableUploadOptions {
  client: Client;
  /** The bytes: a browser `File`, or any `Blob`. */
  file: Blob;
  bucketId: string;
  filename: string;
  /** Where in the bucket (default: `filename`); a taken path is renamed `name (1).ext` as raw uploads are. */
  path?: string;
  /** Stored as the file's `mime_type` (default: the Blob's type, else `application/octet-stream`). */
  contentType?: string;
  chunkSize?: number;
  retryDelays?: readonly number[];
  /** Continue an upload created earlier (its id from `onCreated`, e.g. saved before a page reload). */
  uploadId?: string;
  /** The server made the upload: keep the id to resume it later with `uploadId`. */
  onCreated?(uploadId: string): void;
  /** Bytes the server has confirmed, after each chunk (and once at the start). */
  onProgress?(sent: number, total: number): void;
  /** A failure that will be retried after `delayMs` (the connection dropped, the server was busy). */
  onRetry?(error: SelfDBError, delayMs: number): void;
  /** Stops the upload (the partial upload stays on the server until it expires; see `deleteResumableUpload`). */
  signal?: AbortSignal;
}

export interface ResumableUploadResult {
  uploadId: string;
  /**
   * The file row it became, from the last PATCH's `X-SelfDB-File-Id`/`-Path`. Null when an earlier attempt had
   * already sent the last byte but its answer was lost (the file exists; list the bucket to find it).
   */
  fileId: string | null;
  path: string | null;
  size: number;
}

/** The `Upload-Metadata` header: `key base64(value)` pairs, comma-separated (values as UTF-8). */
export function encodeUploadMetadata(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => {
      let binary = '';
      for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
      return `${key} ${btoa(binary)}`;
    })
    .join(',');
}

/** The upload's id from a creation's `Location` (`uploads/<id>`, relative or absolute). */
export function uploadIdFromLocation(location: string | null): string {
  const id = location
    ? decodeURIComponent(new URL(location, 'http://x/storage/').pathname.split('/').pop() ?? '')
    : '';
  if (!/^[A-Za-z0-9_-]+$/.test(id))
    throw new SelfDBError(0, `unexpected upload location: ${String(location)}`);
  return id;
}

/** The byte range [start, end) of the chunk to send from `offset`. */
export function nextChunk(offset: number, size: number, chunkSize: number): { start: number; end: number } {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new SelfDBError(0, `the server reported an impossible upload offset: ${offset} of ${size}`);
  }
  return { start: offset, end: Math.min(size, offset + Math.max(1, chunkSize)) };
}

/** Failures worth another try after a HEAD: no answer, a conflicting offset, a lock, a busy or failing server. */
export function isRetryable(error: SelfDBError): boolean {
  return (
    error.status === 0 ||
    error.status === 409 ||
    error.status === 423 ||
    error.status === 429 ||
    error.status >= 500
  );
}

/** Reads an offset header; throws when the server sent none or nonsense. */
export function parseOffset(value: string | null): number {
  const offset = value === null || value.trim() === '' ? NaN : Number(value);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new SelfDBError(0, `the server sent no valid Upload-Offset (${String(value)})`);
  }
  return offset;
}

type Method = 'POST' | 'HEAD' | 'PATCH' | 'DELETE';

async function tusRequest(
  client: Client,
  method: Method,
  uploadId: string | null,
  headers: Record<string, string>,
  body: Blob | undefined,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const result = (await client.request({
    method,
    url: uploadId ? UPLOAD_PATH : '/storage/uploads',
    ...(uploadId ? { path: { upload_id: uploadId } } : {}),
    headers: { 'Tus-Resumable': TUS_VERSION, ...headers },
    ...(body ? { body, bodySerializer: null } : {}),
    parseAs: 'text',
    signal,
  })) as { error?: unknown; response?: Response };
  signal?.throwIfAborted();
  const response = result.response;
  if (response?.ok && result.error === undefined) return response;
  throw SelfDBError.fromResult(result.error, response);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Uploads `file` with tus, in chunks, resuming where the server stands after a dropped connection or a server
 * error (HEAD, then PATCH from its offset), waiting `retryDelays` between attempts. Rejects with SelfDBError when
 * the server refuses (the `{detail, code}` of a 4xx: quota, size limit, no such bucket…) or the retries run out;
 * call again with `uploadId` to go on from where it stopped.
 */
export async function uploadResumable(options: ResumableUploadOptions): Promise<ResumableUploadResult> {
  const { client, file, signal } = options;
  const size = file.size;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const delays = options.retryDelays ?? DEFAULT_RETRY_DELAYS;
  let uploadId = options.uploadId ?? null;
  let offset: number | null = null;
  let attempt = 0;
  let finished: Response | null = null;

  for (;;) {
    try {
      if (uploadId === null) {
        const created = await tusRequest(
          client,
          'POST',
          null,
          {
            'Upload-Length': String(size),
            'Upload-Metadata': encodeUploadMetadata({
              bucket_id: options.bucketId,
              filename: options.filename,
              path: options.path,
              content_type: options.contentType || file.type || 'application/octet-stream',
            }),
          },
          undefined,
          signal,
        );
        uploadId = uploadIdFromLocation(created.headers.get('Location'));
        options.onCreated?.(uploadId);
        offset = 0;
        if (size === 0) {
          // Nothing to send: the creation finished the upload.
          finished = created;
          break;
        }
      }
      if (offset === null) {
        offset = parseOffset(
          (await tusRequest(client, 'HEAD', uploadId, {}, undefined, signal)).headers.get('Upload-Offset'),
        );
      }
      options.onProgress?.(offset, size);
      if (offset === size && size > 0) break;
      const { start, end } = nextChunk(offset, size, chunkSize);
      const response = await tusRequest(
        client,
        'PATCH',
        uploadId,
        { 'Upload-Offset': String(start), 'Content-Type': 'application/offset+octet-stream' },
        file.slice(start, end),
        signal,
      );
      offset = parseOffset(response.headers.get('Upload-Offset'));
      attempt = 0;
      if (offset === size) {
        finished = response;
        options.onProgress?.(offset, size);
        break;
      }
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const error = err instanceof SelfDBError ? err : new SelfDBError(0, `request failed: ${String(err)}`);
      if (!isRetryable(error) || attempt >= delays.length) throw error;
      const delay = delays[attempt++] ?? 0;
      options.onRetry?.(error, delay);
      await sleep(delay, signal);
      // Where the server stands decides what to send next (never trust what we think we sent).
      offset = null;
    }
  }

  const filePath = finished?.headers.get('X-SelfDB-File-Path');
  return {
    uploadId: uploadId as string,
    fileId: finished?.headers.get('X-SelfDB-File-Id') ?? null,
    path: filePath ? decodeURIComponent(filePath) : null,
    size,
  };
}

/** Abandons an unfinished upload: the server deletes its partial bytes and releases the quota it held. */
export async function deleteResumableUpload(client: Client, uploadId: string): Promise<void> {
  await tusRequest(client, 'DELETE', uploadId, {}, undefined, undefined);
}
