import { createHmac } from 'node:crypto';

/**
 * Rules shared by the backend and the storage service for bucket names and object paths. The storage service
 * applies them before any file-system call (it is the last line of defence); the backend applies them first so
 * that a bad name is refused before anything is recorded.
 */

/** SelfDB 0.0.5's bucket name rule (also a CHECK constraint on `buckets.name`). */
export const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** `files.path` is VARCHAR(1000). */
export const MAX_OBJECT_PATH_LENGTH = 1000;
/** NAME_MAX of Linux file systems, in bytes of UTF-8. */
export const MAX_SEGMENT_BYTES = 255;
/** Names the storage service keeps for itself (temp files, partial uploads, trash); never accepted from users. */
export const RESERVED_NAME_PREFIX = '.selfdb-';
/** Header that carries the shared secret on every backend → storage request. */
export const STORAGE_KEY_HEADER = 'x-storage-key';

export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME_PATTERN.test(name);
}

// Control characters include NUL, which would truncate the name in C APIs, and CR/LF, which would break headers.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;
// A lone UTF-16 surrogate has no UTF-8 form: it would be written to disk as U+FFFD, under another name.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What is wrong with an object path inside a bucket, or null when it is acceptable. Accepted: relative paths of
 * `/`-separated segments, any Unicode (spaces included). Refused: empty, absolute, `.`/`..` segments, empty
 * segments, backslashes, control characters (NUL, newlines), lone surrogates, over-long paths or segments, and
 * the reserved `.selfdb-` prefix. The value is checked as given: percent-decoding is the HTTP layer's job, so
 * `%2e%2e` arrives here as `..` when it came in a URL, and stays a literal name when it was double-encoded.
 */
export function objectPathProblem(path: string): string | null {
  if (path.length === 0) return 'The path is empty';
  if (path.length > MAX_OBJECT_PATH_LENGTH) {
    return `The path is longer than ${MAX_OBJECT_PATH_LENGTH} characters`;
  }
  if (LONE_SURROGATE.test(path)) return 'The path is not valid Unicode';
  if (CONTROL_CHARACTERS.test(path)) return 'The path contains a control character (NUL, newline, ...)';
  if (path.startsWith('/')) return 'Absolute paths are not allowed';
  if (path.includes('\\')) return 'Backslashes are not allowed in paths';
  for (const segment of path.split('/')) {
    if (segment === '') return 'The path has an empty segment (// or a trailing /)';
    if (segment === '.' || segment === '..') return 'Path segments . and .. are not allowed';
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      return `A path segment is longer than ${MAX_SEGMENT_BYTES} bytes`;
    }
    if (segment.startsWith(RESERVED_NAME_PREFIX)) {
      return `Names starting with ${RESERVED_NAME_PREFIX} are reserved`;
    }
  }
  return null;
}

/** The last segment of a valid object path (the file's name). */
export function objectName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * SelfDB 0.0.5's duplicate naming: `dir/name (n).ext`, where `.ext` is what Python's `os.path.splitext` calls the
 * extension (the last dot, not counting leading dots): `a.tar.gz` → `a.tar (1).gz`, `.env` → `.env (1)`.
 */
export function numberedPath(path: string, n: number): string {
  const { prefix, suffix } = numberingParts(path);
  return `${prefix} (${n})${suffix}`;
}

/** What comes before and after ` (n)` in the numbered variants of `path`. */
export function numberingParts(path: string): { prefix: string; suffix: string } {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  const firstNonDot = name.search(/[^.]/);
  const dot = name.lastIndexOf('.');
  const cut = firstNonDot >= 0 && dot > firstNonDot ? slash + 1 + dot : path.length;
  return { prefix: path.slice(0, cut), suffix: path.slice(cut) };
}

/**
 * The secret the backend sends to the storage service: STORAGE_SERVICE_KEY when set, else derived from
 * SECRET_KEY, so a default install needs no extra variable and the derived value reveals nothing about SECRET_KEY.
 */
export function storageServiceKey(secretKey: string, explicitKey?: string): string {
  if (explicitKey) return explicitKey;
  return createHmac('sha256', secretKey).update('selfdb-storage-service-key').digest('hex');
}

// The storage service's wire contract, as the backend reads it: one definition, so the two sides cannot drift.

/** Where a write landed and what it holds, as the storage service reports it. */
export interface StoredObject {
  bucket: string;
  /** Where the object landed: the requested path, or a numbered one when it was taken and ifExists is rename. */
  path: string;
  size: number;
  sha256: string;
  etag: string;
}

/** A resumable upload as the backend asks for it. */
export interface NewUpload {
  /** Chosen by the caller: 16–128 characters of [A-Za-z0-9_-]. */
  id: string;
  bucket: string;
  path: string;
  length: number;
  /** Opaque to the store: kept with the upload and given back by getUpload. */
  meta: Record<string, string | null>;
}

/** A resumable upload as the storage service reports it: `offset` bytes of `length` have arrived. */
export interface UploadState extends NewUpload {
  offset: number;
  createdAt: string;
}
