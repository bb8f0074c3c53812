import type { Queryable } from '@selfdb/common';
import { escapeLike, searchPattern } from '../../db/like.ts';
import type { Viewer } from './buckets.repository.ts';

export interface FileRow {
  id: string;
  bucket_id: string;
  name: string;
  path: string;
  size: number;
  mime_type: string;
  owner_id: string | null;
  metadata: Record<string, unknown> | null;
  checksum_sha256: string | null;
  version: number;
  is_latest: boolean;
  deleted_at: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
}

export type FileSortColumn = 'created_at' | 'updated_at' | 'name' | 'size';

const COLUMNS = `id, bucket_id, name, path, size, mime_type, owner_id, metadata, checksum_sha256, version, is_latest,
  deleted_at, created_at, updated_at`;
// Soft-deleted or superseded rows (possible in a restored 0.0.5 database) are not files any more.
const CURRENT = 'is_latest AND deleted_at IS NULL';
// $2 = searchPattern(search).
const MATCHES = '($2::text IS NULL OR name ILIKE $2 OR path ILIKE $2)';

export async function findFileById(db: Queryable, id: string): Promise<FileRow | null> {
  const { rows } = await db.query<FileRow>(`SELECT ${COLUMNS} FROM files WHERE id = $1 AND ${CURRENT}`, [id]);
  return rows[0] ?? null;
}

export async function findFileByPath(db: Queryable, bucketId: string, path: string): Promise<FileRow | null> {
  const { rows } = await db.query<FileRow>(
    `SELECT ${COLUMNS} FROM files WHERE bucket_id = $1 AND path = $2 AND ${CURRENT}`,
    [bucketId, path],
  );
  return rows[0] ?? null;
}

/**
 * Paths of the bucket that a new file at `path` could collide with: `path` itself and its numbered variants
 * (`likePattern` matches `dir/name (…).ext`).
 */
export async function findTakenPaths(
  db: Queryable,
  bucketId: string,
  path: string,
  numbered: { prefix: string; suffix: string },
): Promise<Set<string>> {
  const { rows } = await db.query<{ path: string }>(
    `SELECT path FROM files WHERE bucket_id = $1 AND ${CURRENT} AND (path = $2 OR path LIKE $3)`,
    [bucketId, path, `${escapeLike(numbered.prefix)} (%)${escapeLike(numbered.suffix)}`],
  );
  return new Set(rows.map((row) => row.path));
}

export async function listFiles(
  db: Queryable,
  bucketId: string,
  query: {
    offset: number;
    limit: number;
    search?: string;
    sortBy: FileSortColumn;
    sortOrder: 'asc' | 'desc';
  },
): Promise<FileRow[]> {
  const order = query.sortOrder === 'asc' ? 'ASC' : 'DESC';
  // sortBy is a FileSortColumn (validated against an enum), so it is safe as an identifier.
  const { rows } = await db.query<FileRow>(
    `SELECT ${COLUMNS} FROM files
     WHERE bucket_id = $1 AND ${CURRENT} AND ${MATCHES}
     ORDER BY ${query.sortBy} ${order} NULLS LAST, id ${order}
     OFFSET $3 LIMIT $4`,
    [bucketId, searchPattern(query.search), query.offset, query.limit],
  );
  return rows;
}

export async function countFiles(db: Queryable, bucketId: string, search?: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM files WHERE bucket_id = $1 AND ${CURRENT} AND ${MATCHES}`,
    [bucketId, searchPattern(search)],
  );
  return rows[0]?.count ?? 0;
}

/** Files of every bucket the viewer can see. */
export async function countVisibleFiles(db: Queryable, viewer: Viewer, search?: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM files f JOIN buckets b ON b.id = f.bucket_id
     WHERE (b.public OR $1::boolean OR b.owner_id = $2::uuid) AND f.is_latest AND f.deleted_at IS NULL
       AND ($3::text IS NULL OR f.name ILIKE $3 OR f.path ILIKE $3)`,
    [viewer.isAdmin, viewer.id, searchPattern(search)],
  );
  return rows[0]?.count ?? 0;
}

export async function insertFile(
  db: Queryable,
  file: {
    bucketId: string;
    name: string;
    path: string;
    size: number;
    mimeType: string;
    ownerId: string | null;
    checksum: string;
  },
): Promise<FileRow> {
  const { rows } = await db.query<FileRow>(
    `INSERT INTO files (bucket_id, name, path, size, mime_type, owner_id, checksum_sha256)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING ${COLUMNS}`,
    [file.bucketId, file.name, file.path, file.size, file.mimeType, file.ownerId, file.checksum],
  );
  return rows[0] as FileRow;
}

/** Replaces the metadata (SelfDB 0.0.5's PATCH semantics); null when there is no such file. */
export async function replaceFileMetadata(
  db: Queryable,
  id: string,
  metadata: Record<string, unknown>,
): Promise<FileRow | null> {
  const { rows } = await db.query<FileRow>(
    `UPDATE files SET metadata = $2 WHERE id = $1 AND ${CURRENT} RETURNING ${COLUMNS}`,
    [id, JSON.stringify(metadata)],
  );
  return rows[0] ?? null;
}

export async function deleteFile(db: Queryable, id: string): Promise<FileRow | null> {
  const { rows } = await db.query<FileRow>(`DELETE FROM files WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
  return rows[0] ?? null;
}
