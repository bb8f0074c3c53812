import type { Queryable } from '@selfdb/common';
import { searchPattern } from '../../db/like.ts';

export interface BucketRow {
  id: string;
  name: string;
  public: boolean;
  owner_id: string | null;
  description: string | null;
  metadata: Record<string, unknown> | null;
  file_count: number | null;
  total_size: number | null;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
  created_at: Date | null;
  updated_at: Date | null;
}

export type BucketSortColumn = 'created_at' | 'updated_at' | 'name';

/** Who is looking: anonymous callers have no id; admins see every bucket. */
export interface Viewer {
  id: string | null;
  isAdmin: boolean;
}

export interface BucketChanges {
  public?: boolean;
  description?: string | null;
  metadata?: Record<string, unknown>;
  file_size_limit?: number | null;
  allowed_mime_types?: string[] | null;
}

const COLUMNS = `id, name, public, owner_id, description, metadata, file_count, total_size, file_size_limit,
  allowed_mime_types, created_at, updated_at`;
// SPEC §2.1: public buckets, and private ones to their owner and to admins. $1 = is admin, $2 = viewer id.
const VISIBLE = '(public OR $1::boolean OR owner_id = $2::uuid)';
// $3 = searchPattern(search).
const MATCHES = '($3::text IS NULL OR name ILIKE $3 OR description ILIKE $3)';
// Whitelist of updatable columns: BucketChanges keys are never taken from request text.
const UPDATABLE: ReadonlyArray<keyof BucketChanges> = [
  'public',
  'description',
  'metadata',
  'file_size_limit',
  'allowed_mime_types',
];

/** Inserts a bucket; null when the name is taken. */
export async function insertBucket(
  db: Queryable,
  bucket: {
    name: string;
    public: boolean;
    ownerId: string;
    description: string | null;
    metadata: Record<string, unknown>;
    fileSizeLimit: number | null;
    allowedMimeTypes: string[] | null;
  },
): Promise<BucketRow | null> {
  const { rows } = await db.query<BucketRow>(
    `INSERT INTO buckets (name, public, owner_id, description, metadata, file_size_limit, allowed_mime_types)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (name) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      bucket.name,
      bucket.public,
      bucket.ownerId,
      bucket.description,
      JSON.stringify(bucket.metadata),
      bucket.fileSizeLimit,
      bucket.allowedMimeTypes,
    ],
  );
  return rows[0] ?? null;
}

export async function findBucketById(db: Queryable, id: string, lock = false): Promise<BucketRow | null> {
  const { rows } = await db.query<BucketRow>(
    `SELECT ${COLUMNS} FROM buckets WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function findBucketByName(db: Queryable, name: string): Promise<BucketRow | null> {
  const { rows } = await db.query<BucketRow>(`SELECT ${COLUMNS} FROM buckets WHERE name = $1`, [name]);
  return rows[0] ?? null;
}

export async function listBuckets(
  db: Queryable,
  viewer: Viewer,
  query: {
    skip: number;
    limit: number;
    search?: string;
    sortBy: BucketSortColumn;
    sortOrder: 'asc' | 'desc';
  },
): Promise<BucketRow[]> {
  const order = query.sortOrder === 'asc' ? 'ASC' : 'DESC';
  // sortBy is a BucketSortColumn (validated against an enum), so it is safe as an identifier.
  const { rows } = await db.query<BucketRow>(
    `SELECT ${COLUMNS} FROM buckets
     WHERE ${VISIBLE} AND ${MATCHES}
     ORDER BY ${query.sortBy} ${order} NULLS LAST, id ${order}
     OFFSET $4 LIMIT $5`,
    [viewer.isAdmin, viewer.id, searchPattern(query.search), query.skip, query.limit],
  );
  return rows;
}

export async function countBuckets(db: Queryable, viewer: Viewer, search?: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM buckets WHERE ${VISIBLE} AND ${MATCHES}`,
    [viewer.isAdmin, viewer.id, searchPattern(search)],
  );
  return rows[0]?.count ?? 0;
}

/** Totals over the buckets the viewer can see (their statistics are kept by a trigger on files). */
export async function sumBucketStats(
  db: Queryable,
  viewer: Viewer,
  search?: string,
): Promise<{ total_files: number; total_size: number; bucket_count: number }> {
  const { rows } = await db.query<{ total_files: number; total_size: number; bucket_count: number }>(
    `SELECT COALESCE(sum(file_count), 0)::bigint AS total_files,
            COALESCE(sum(total_size), 0)::bigint AS total_size,
            count(*)::int AS bucket_count
     FROM buckets
     WHERE ${VISIBLE} AND ${MATCHES}`,
    [viewer.isAdmin, viewer.id, searchPattern(search)],
  );
  return rows[0] ?? { total_files: 0, total_size: 0, bucket_count: 0 };
}

/** Updates the given columns; returns the new row, or null when the bucket does not exist. */
export async function updateBucket(
  db: Queryable,
  id: string,
  changes: BucketChanges,
): Promise<BucketRow | null> {
  const columns = UPDATABLE.filter((column) => changes[column] !== undefined);
  if (columns.length === 0) return findBucketById(db, id);
  const assignments = columns.map((column, index) => `${column} = $${index + 2}`).join(', ');
  const values = columns.map((column) =>
    column === 'metadata' ? JSON.stringify(changes.metadata) : changes[column],
  );
  const { rows } = await db.query<BucketRow>(
    `UPDATE buckets SET ${assignments} WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, ...values],
  );
  return rows[0] ?? null;
}

/** Deletes the bucket and its file rows (the foreign key cascades). */
export async function deleteBucket(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM buckets WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}
