import type { Readable } from 'node:stream';
import {
  type Actor,
  AppError,
  canRead,
  ErrorCode,
  ERRORS,
  isValidBucketName,
  noneMatch,
  objectName,
  objectPathProblem,
  type Pool,
  rangeStillValid,
} from '@selfdb/common';
import { type BucketRow, findBucketById, findBucketByName } from './buckets.repository.ts';
import { assertVisible } from './buckets.service.ts';
import { type FileRow, findFileById, findFileByPath } from './files.repository.ts';
import type { UrlSigner } from './signed-urls.ts';
import type { StorageClient } from './storage-client.ts';
import { contentDisposition, safeContentType } from './storage.dto.ts';

/** Request headers that make a download conditional or partial. */
export interface DownloadConditions {
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
}

export interface Download {
  status: number;
  headers: Record<string, string>;
  /** null for HEAD and 304. */
  body: Readable | null;
}

/** Response headers of the storage service that describe the bytes sent (the rest are the backend's own). */
const PASSED_ON = ['content-length', 'content-range', 'accept-ranges', 'last-modified'];

export function createDownloadsService(pool: Pool, storage: StorageClient, signer: UrlSigner) {
  /**
   * Streams a file from the storage service. The ETag is the file's SHA-256 when known (so If-None-Match is
   * answered 304 without touching the bytes), otherwise the storage service's own; Range and If-Range pass through.
   */
  async function send(
    bucket: BucketRow,
    file: FileRow,
    method: 'GET' | 'HEAD',
    conditions: DownloadConditions,
  ): Promise<Download> {
    const etag = file.checksum_sha256 ? `"${file.checksum_sha256}"` : null;
    const headers: Record<string, string> = {
      'content-type': safeContentType(file.mime_type),
      'content-disposition': contentDisposition(objectName(file.path)),
      'accept-ranges': 'bytes',
    };
    if (etag) headers.etag = etag;
    if (etag && noneMatch(conditions.ifNoneMatch, etag)) return { status: 304, headers, body: null };
    const range = etag && !rangeStillValid(conditions.ifRange, etag) ? undefined : conditions.range;
    const response = await storage.getObject(bucket.name, file.path, method, {
      range,
      // Our own validator was applied above; the storage service's applies when we have none.
      'if-range': etag ? undefined : conditions.ifRange,
      'if-none-match': etag ? undefined : conditions.ifNoneMatch,
    });
    if (response.status === 416) {
      throw new AppError(416, ErrorCode.RANGE_NOT_SATISFIABLE, 'Range not satisfiable', {
        'content-range': String(response.headers['content-range'] ?? `bytes */${file.size}`),
      });
    }
    for (const name of PASSED_ON) {
      const value = response.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    if (!etag && typeof response.headers.etag === 'string') headers.etag = response.headers.etag;
    return { status: response.status, headers, body: response.body };
  }

  /** Bucket and file by name and path, when the actor may read the bucket (404 otherwise). */
  async function findReadable(actor: Actor | null, bucketName: string, path: string) {
    if (!isValidBucketName(bucketName)) throw ERRORS.bucketNotFound();
    const problem = objectPathProblem(path);
    if (problem) throw new AppError(400, ErrorCode.INVALID_PATH, problem);
    const bucket = assertVisible(actor, await findBucketByName(pool, bucketName));
    const file = await findFileByPath(pool, bucket.id, path);
    if (!file) throw ERRORS.fileNotFound();
    return { bucket, file };
  }

  const invalidSignature = () =>
    new AppError(403, ErrorCode.SIGNED_URL_INVALID, 'This signed URL is not valid for this file');

  return {
    async download(
      actor: Actor | null,
      bucketName: string,
      path: string,
      method: 'GET' | 'HEAD',
      conditions: DownloadConditions,
    ): Promise<Download> {
      const { bucket, file } = await findReadable(actor, bucketName, path);
      return send(bucket, file, method, conditions);
    },

    /**
     * A time-limited URL to one file that works without a token (and without the API key), for a signed-in user
     * who may read the file now: the bucket's owner or an admin for a private bucket, anyone for a public one.
     */
    async createSignedUrl(actor: Actor, fileId: string, expiresIn: number) {
      const file = await findFileById(pool, fileId);
      const bucket = file ? await findBucketById(pool, file.bucket_id) : null;
      if (!file || !bucket || !canRead(actor, bucket)) throw ERRORS.fileNotFound();
      const expires = Math.floor(Date.now() / 1000) + expiresIn;
      return {
        url: signer.sign(file, bucket.name, expires),
        expires_at: new Date(expires * 1000).toISOString(),
        expires_in: expiresIn,
      };
    },

    /**
     * Serves a signed URL. An expired one answers 403 SIGNED_URL_EXPIRED; a wrong signature, an unknown bucket or
     * file all answer the same 403 SIGNED_URL_INVALID, so the URL space cannot be probed.
     */
    async downloadSigned(
      bucketName: string,
      path: string,
      expires: number,
      token: string,
      method: 'GET' | 'HEAD',
      conditions: DownloadConditions,
    ): Promise<Download> {
      if (expires < Date.now() / 1000) {
        throw new AppError(403, ErrorCode.SIGNED_URL_EXPIRED, 'This signed URL has expired');
      }
      if (!isValidBucketName(bucketName) || objectPathProblem(path)) throw invalidSignature();
      const bucket = await findBucketByName(pool, bucketName);
      const file = bucket ? await findFileByPath(pool, bucket.id, path) : null;
      if (!bucket || !file || !signer.verify(file, bucket.name, expires, token)) throw invalidSignature();
      return send(bucket, file, method, conditions);
    },
  };
}

export type DownloadsService = ReturnType<typeof createDownloadsService>;
