import {
  type Actor,
  AppError,
  canManage,
  canRead,
  ErrorCode,
  ERRORS,
  isAdmin,
  type Pool,
  withTransaction,
} from '@selfdb/common';
import {
  type BucketChanges,
  type BucketRow,
  type BucketSortColumn,
  countBuckets,
  deleteBucket,
  findBucketById,
  insertBucket,
  listBuckets,
  sumBucketStats,
  updateBucket,
  type Viewer,
} from './buckets.repository.ts';
import type { StorageClient } from './storage-client.ts';
import { type BucketDto, toBucketDto } from './storage.dto.ts';

export interface NewBucket {
  name: string;
  public?: boolean;
  description?: string | null;
  metadata?: Record<string, unknown> | null;
  file_size_limit?: number | null;
  allowed_mime_types?: string[] | null;
}

export type BucketPatch = Omit<NewBucket, 'name' | 'public'> & { public?: boolean | null };

export interface BucketListQuery {
  skip: number;
  limit: number;
  search?: string;
  sortBy: BucketSortColumn;
  sortOrder: 'asc' | 'desc';
}

export function viewerOf(actor: Actor | null): Viewer {
  return { id: actor?.id ?? null, isAdmin: isAdmin(actor) };
}

/** The bucket when the actor may see it; 404 otherwise, so private buckets of others look like missing ones. */
export function assertVisible(actor: Actor | null, bucket: BucketRow | null): BucketRow {
  if (!bucket || !canRead(actor, bucket)) throw ERRORS.bucketNotFound();
  return bucket;
}

/** Lower-cased, duplicates removed; an empty list means no restriction. */
function normalizeMimeRules(rules: string[] | null | undefined): string[] | null | undefined {
  if (rules === undefined || rules === null) return rules;
  const unique = [...new Set(rules.map((rule) => rule.toLowerCase()))];
  return unique.length > 0 ? unique : null;
}

export function createBucketsService(pool: Pool, storage: StorageClient) {
  return {
    /**
     * Creates a bucket owned by the actor: the row and the storage directory together (the row is rolled back when
     * the storage service fails, 503). A taken name answers 409.
     */
    async create(actor: Actor, input: NewBucket): Promise<BucketDto> {
      const row = await withTransaction(pool, async (client) => {
        const inserted = await insertBucket(client, {
          name: input.name,
          public: input.public ?? false,
          ownerId: actor.id,
          description: input.description ?? null,
          metadata: input.metadata ?? {},
          fileSizeLimit: input.file_size_limit ?? null,
          allowedMimeTypes: normalizeMimeRules(input.allowed_mime_types) ?? null,
        });
        if (!inserted) throw AppError.conflict('Bucket name already exists', ErrorCode.BUCKET_EXISTS);
        await storage.createBucket(inserted.name);
        return inserted;
      });
      return toBucketDto(row);
    },

    async list(actor: Actor | null, query: BucketListQuery): Promise<BucketDto[]> {
      return (await listBuckets(pool, viewerOf(actor), query)).map(toBucketDto);
    },

    count(actor: Actor | null, search?: string): Promise<number> {
      return countBuckets(pool, viewerOf(actor), search);
    },

    stats(actor: Actor | null, search?: string) {
      return sumBucketStats(pool, viewerOf(actor), search);
    },

    async get(actor: Actor | null, id: string): Promise<BucketDto> {
      return toBucketDto(assertVisible(actor, await findBucketById(pool, id)));
    },

    /** Owner or admin; others get 403 when they can see the bucket, 404 when they cannot. */
    async update(actor: Actor, id: string, patch: BucketPatch): Promise<BucketDto> {
      const bucket = assertVisible(actor, await findBucketById(pool, id));
      if (!canManage(actor, bucket)) throw AppError.forbidden('You can only modify buckets you own');
      const changes: BucketChanges = {
        public: patch.public ?? undefined,
        description: patch.description ?? undefined,
        metadata: patch.metadata ?? undefined,
        // null clears a limit, so only an absent field leaves it alone.
        file_size_limit: patch.file_size_limit,
        allowed_mime_types: normalizeMimeRules(patch.allowed_mime_types),
      };
      const row = await updateBucket(pool, id, changes);
      if (!row) throw ERRORS.bucketNotFound();
      return toBucketDto(row);
    },

    /**
     * Deletes the bucket, its file rows and its bytes. The rows go in a transaction that commits only once the
     * storage service has removed the directory, so a storage failure (503) leaves everything as it was.
     */
    async remove(actor: Actor, id: string): Promise<void> {
      const bucket = assertVisible(actor, await findBucketById(pool, id));
      if (!canManage(actor, bucket)) throw AppError.forbidden('You can only delete buckets you own');
      await withTransaction(pool, async (client) => {
        const locked = await findBucketById(client, id, true);
        if (!locked) throw ERRORS.bucketNotFound();
        await deleteBucket(client, id);
        await storage.deleteBucket(locked.name);
      });
    },
  };
}

export type BucketsService = ReturnType<typeof createBucketsService>;
