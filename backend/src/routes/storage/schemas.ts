import { type Static, Type } from 'typebox';
import { MIME_RULE_PATTERN, MIME_TYPE_PATTERN } from '../../modules/storage/storage.dto.ts';
import { Nullable, SearchTerm, Skip, Uuid } from '../../schemas/common.ts';

const DateTime = Type.String({ format: 'date-time' });
const Metadata = Type.Record(Type.String(), Type.Unknown());

/** SelfDB 0.0.5's bucket name rule (also a CHECK constraint of the buckets table). */
const BucketName = Type.String({
  minLength: 3,
  maxLength: 63,
  pattern: '^[a-z0-9][a-z0-9\\-]{1,61}[a-z0-9]$',
  examples: ['my-bucket', 'user-uploads'],
});
const FileSizeLimit = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Largest file the bucket accepts, in bytes (null: no limit)',
});
const AllowedMimeTypes = Type.Array(Type.String({ maxLength: 100, pattern: MIME_RULE_PATTERN }), {
  maxItems: 100,
  description: 'MIME types the bucket accepts: `type/subtype` or `type/*` (null or []: any)',
});
/** What a bucket's owner sets at creation and may change later. */
const bucketSettings = {
  description: Nullable(Type.String({ maxLength: 500 })),
  metadata: Nullable(Metadata),
  file_size_limit: Nullable(FileSizeLimit),
  allowed_mime_types: Nullable(AllowedMimeTypes),
};

export const BucketCreate = Type.Object(
  { name: BucketName, public: Type.Optional(Type.Boolean({ default: false })), ...bucketSettings },
  { additionalProperties: false, $id: 'BucketCreate', title: 'BucketCreate' },
);
export type BucketCreate = Static<typeof BucketCreate>;

/** The name is immutable. `file_size_limit: null` / `allowed_mime_types: null` remove a limit. */
export const BucketUpdate = Type.Object(
  { public: Nullable(Type.Boolean()), ...bucketSettings },
  { additionalProperties: false, $id: 'BucketUpdate', title: 'BucketUpdate' },
);
export type BucketUpdate = Static<typeof BucketUpdate>;

export const BucketResponse = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    public: Type.Boolean(),
    description: Type.Union([Type.String(), Type.Null()]),
    file_count: Type.Integer({ default: 0 }),
    total_size: Type.Integer({ default: 0 }),
    owner_id: Type.Union([Uuid, Type.Null()]),
    metadata: Metadata,
    file_size_limit: Type.Union([Type.Integer(), Type.Null()]),
    allowed_mime_types: Type.Union([Type.Array(Type.String()), Type.Null()]),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { $id: 'BucketResponse', title: 'BucketResponse' },
);

export const FileResponse = Type.Object(
  {
    id: Uuid,
    bucket_id: Uuid,
    name: Type.String({ examples: ['document.pdf', 'photo.png'] }),
    path: Type.String({ examples: ['uploads/document.pdf', 'images/photo.png'] }),
    size: Type.Integer(),
    mime_type: Type.String(),
    owner_id: Type.Union([Uuid, Type.Null()]),
    metadata: Metadata,
    checksum_sha256: Type.Union([Type.String(), Type.Null()]),
    version: Type.Integer({ default: 1 }),
    is_latest: Type.Boolean({ default: true }),
    deleted_at: Type.Union([DateTime, Type.Null()]),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { $id: 'FileResponse', title: 'FileResponse' },
);

export const FileDataResponse = Type.Object(
  {
    files: Type.Array(Type.Unsafe({ $ref: 'FileResponse#' })),
    total: Type.Integer(),
    page: Type.Integer(),
    page_size: Type.Integer(),
  },
  { $id: 'FileDataResponse', title: 'FileDataResponse' },
);

export const FileUploadResponse = Type.Object(
  {
    success: Type.Boolean({ default: true }),
    bucket: Type.String(),
    path: Type.String(),
    size: Type.Integer(),
    file_id: Type.Union([Uuid, Type.Null()]),
    upload_time: Type.Union([Type.Number(), Type.Null()]),
    url: Type.Union([
      Type.String({ description: 'Download route, relative to the API base URL' }),
      Type.Null(),
    ]),
    original_path: Type.Union([Type.String(), Type.Null()]),
    message: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'FileUploadResponse', title: 'FileUploadResponse' },
);

export const StorageStatsResponse = Type.Object(
  { total_files: Type.Integer(), total_size: Type.Integer(), bucket_count: Type.Integer() },
  { $id: 'StorageStatsResponse', title: 'StorageStatsResponse' },
);

export const SignedUrlResponse = Type.Object(
  {
    url: Type.String({
      description: 'Path and query relative to the API base URL; needs no token and no API key',
    }),
    expires_at: DateTime,
    expires_in: Type.Integer(),
  },
  { $id: 'SignedUrlResponse', title: 'SignedUrlResponse' },
);

const SortOrder = Type.Optional(
  Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc', description: 'Sort order' }),
);

export const ListBucketsQuery = Type.Object({
  skip: Skip,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
  search: Type.Optional(SearchTerm),
  sort_by: Type.Optional(
    Type.Union([Type.Literal('created_at'), Type.Literal('updated_at'), Type.Literal('name')], {
      default: 'created_at',
    }),
  ),
  sort_order: SortOrder,
});
export type ListBucketsQuery = Static<typeof ListBucketsQuery>;

export const FileCountQuery = Type.Object({
  bucket_id: Type.String({ format: 'uuid', description: 'Bucket ID to count files in' }),
  search: Type.Optional(SearchTerm),
});
export type FileCountQuery = Static<typeof FileCountQuery>;

export const ListFilesQuery = Type.Object({
  bucket_id: Type.String({ format: 'uuid', description: 'Bucket ID to list files from' }),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  search: Type.Optional(SearchTerm),
  sort_by: Type.Optional(
    Type.Union(
      [Type.Literal('created_at'), Type.Literal('updated_at'), Type.Literal('name'), Type.Literal('size')],
      { default: 'created_at' },
    ),
  ),
  sort_order: SortOrder,
});
export type ListFilesQuery = Static<typeof ListFilesQuery>;

export const UploadQuery = Type.Object({
  bucket_id: Type.String({ format: 'uuid', description: 'Target bucket ID' }),
  filename: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 1000,
      description:
        "Original filename: required with a raw body; a form upload defaults to its file part's filename",
    }),
  ),
  path: Type.Optional(
    Type.Union([Type.String({ maxLength: 1000 }), Type.Null()], {
      description: 'Target path within bucket (default: the filename)',
    }),
  ),
  // No schema default: a form upload uses its file part's Content-Type when this is not given.
  content_type: Type.Optional(
    Type.String({
      maxLength: 100,
      pattern: MIME_TYPE_PATTERN,
      description:
        "MIME type of the file (default: application/octet-stream for a raw body, the file part's Content-Type for a form)",
    }),
  ),
});
export type UploadQuery = Static<typeof UploadQuery>;

/**
 * Documents the two bodies `POST /storage/files/upload` takes; the route reads the body as a stream itself, so this
 * is never used to validate it.
 */
export const UploadBody = {
  required: true,
  content: {
    'application/octet-stream': {
      schema: {
        type: 'string',
        format: 'binary',
        description: "The file's bytes as the raw body (any Content-Type other than multipart/form-data)",
      },
    },
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: {
          file: {
            type: 'string',
            format: 'binary',
            description:
              'Exactly one file part (any field name; `file` by convention) and no other field: bucket_id, filename, path and content_type go in the query string',
          },
        },
        required: ['file'],
      },
    },
  },
};

export const BucketIdParams = Type.Object({ bucket_id: Uuid });
export type BucketIdParams = Static<typeof BucketIdParams>;
export const FileIdParams = Type.Object({ file_id: Uuid });
export type FileIdParams = Static<typeof FileIdParams>;

/** The download routes' `{bucket_name}/{path}`: Fastify names the multi-segment path `*`. */
export const ObjectParams = Type.Object({ bucket_name: BucketName, '*': Type.String({ minLength: 1 }) });
export type ObjectParams = Static<typeof ObjectParams>;

export const SignedQuery = Type.Object({
  expires: Type.Integer({ minimum: 0, description: 'Expiry, Unix seconds' }),
  signature: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }),
});
export type SignedQuery = Static<typeof SignedQuery>;

export const STORAGE_SCHEMAS = [
  BucketCreate,
  BucketUpdate,
  BucketResponse,
  FileResponse,
  FileDataResponse,
  FileUploadResponse,
  StorageStatsResponse,
  SignedUrlResponse,
];

const errorRef = { $ref: 'ErrorResponse#' };
/**
 * Errors every storage route documents (SelfDB 0.0.5's document lists 413 and 500 on all of them); index.ts
 * merges them into each route's `response`.
 */
export const STORAGE_ROUTE_ERRORS = {
  413: { description: 'File too large for the bucket', ...errorRef },
  500: { description: 'Internal error', ...errorRef },
  503: { description: 'Storage service unavailable', ...errorRef },
} as const;

/** Errors only some storage routes give. */
export const STORAGE_ERRORS = {
  415: { description: 'MIME type not accepted by the bucket', ...errorRef },
  507: {
    description:
      'The upload would leave the storage volume under its free-space reserve (STORAGE_MIN_FREE_MB)',
    ...errorRef,
  },
  416: { description: 'Range not satisfiable', ...errorRef },
} as const;
