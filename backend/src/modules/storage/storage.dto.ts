import type { BucketRow } from './buckets.repository.ts';
import type { FileRow } from './files.repository.ts';

/** SelfDB 0.0.5's BucketResponse, plus the upload limits of this version. */
export interface BucketDto {
  id: string;
  name: string;
  public: boolean;
  description: string | null;
  file_count: number;
  total_size: number;
  owner_id: string | null;
  metadata: Record<string, unknown>;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
  created_at: string;
  updated_at: string;
}

/** SelfDB 0.0.5's FileResponse; `checksum_sha256` is now always filled for files uploaded here. */
export interface FileDto {
  id: string;
  bucket_id: string;
  name: string;
  path: string;
  size: number;
  mime_type: string;
  owner_id: string | null;
  metadata: Record<string, unknown>;
  checksum_sha256: string | null;
  version: number;
  is_latest: boolean;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

const iso = (date: Date | null) => (date ?? new Date(0)).toISOString();

export function toBucketDto(row: BucketRow): BucketDto {
  return {
    id: row.id,
    name: row.name,
    public: row.public,
    description: row.description,
    file_count: row.file_count ?? 0,
    total_size: row.total_size ?? 0,
    owner_id: row.owner_id,
    metadata: row.metadata ?? {},
    file_size_limit: row.file_size_limit,
    allowed_mime_types: row.allowed_mime_types,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at ?? row.created_at),
  };
}

export function toFileDto(row: FileRow): FileDto {
  return {
    id: row.id,
    bucket_id: row.bucket_id,
    name: row.name,
    path: row.path,
    size: row.size,
    mime_type: row.mime_type,
    owner_id: row.owner_id,
    metadata: row.metadata ?? {},
    checksum_sha256: row.checksum_sha256,
    version: row.version,
    is_latest: row.is_latest,
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at ?? row.created_at),
  };
}

/** `type/subtype` with optional parameters, printable ASCII only (it becomes a Content-Type header). */
export const MIME_TYPE_PATTERN =
  '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(;[ -~]*)?$';
/** An allowed-type rule: `type/subtype` or `type/*`. */
export const MIME_RULE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/(\\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)$';

const mimeRegex = new RegExp(MIME_TYPE_PATTERN);

/** The MIME type without parameters, lower-cased: what allowed-type rules are compared with. */
export function mimeEssence(mimeType: string): string {
  return (mimeType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/** True when the bucket takes this type: no rules, an exact rule, or a `type/*` rule. */
export function isMimeTypeAllowed(allowed: string[] | null, mimeType: string): boolean {
  if (!allowed || allowed.length === 0) return true;
  const essence = mimeEssence(mimeType);
  const major = essence.split('/', 1)[0];
  return allowed.some((rule) => rule === essence || rule === `${major}/*`);
}

/** A stored MIME type that is safe to send as a header (a restored 0.0.5 row could hold anything). */
export function safeContentType(mimeType: string): string {
  return mimeRegex.test(mimeType) ? mimeType : 'application/octet-stream';
}

/**
 * `Content-Disposition: attachment` with the file's name: an ASCII fallback in `filename` (quotes, backslashes and
 * non-ASCII replaced) and the exact name in RFC 5987's `filename*`.
 */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/gu, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** The download route of a file, relative to the API's base URL. */
export function downloadUrl(bucket: string, path: string): string {
  return `/storage/files/download/${bucket}/${path.split('/').map(encodeURIComponent).join('/')}`;
}
