import { type Actor, AppError, canManage, canRead, ERRORS, type Pool, withTransaction } from '@selfdb/common';
import { findBucketById } from './buckets.repository.ts';
import { assertVisible, viewerOf } from './buckets.service.ts';
import {
  countFiles,
  countVisibleFiles,
  deleteFile,
  type FileRow,
  type FileSortColumn,
  findFileById,
  listFiles,
  replaceFileMetadata,
} from './files.repository.ts';
import type { StorageClient } from './storage-client.ts';
import { type FileDto, toFileDto } from './storage.dto.ts';

export interface FileListQuery {
  page: number;
  pageSize: number;
  search?: string;
  sortBy: FileSortColumn;
  sortOrder: 'asc' | 'desc';
}

/**
 * May change or delete a file: whoever uploaded it (while they can still see its bucket), the bucket's owner, or an
 * admin. SelfDB 0.0.5 let only the uploader or an admin; a bucket owner now tidies their own bucket too.
 */
function canChangeFile(actor: Actor, file: FileRow, bucket: { public: boolean; owner_id: string | null }) {
  return canManage(actor, bucket) || (file.owner_id !== null && file.owner_id === actor.id);
}

export function createFilesService(pool: Pool, storage: StorageClient) {
  /** The file and its bucket, when the actor may see the bucket; 404 otherwise. */
  async function findVisible(actor: Actor | null, id: string) {
    const file = await findFileById(pool, id);
    if (!file) throw ERRORS.fileNotFound();
    const bucket = await findBucketById(pool, file.bucket_id);
    if (!bucket || !canRead(actor, bucket)) throw ERRORS.fileNotFound();
    return { file, bucket };
  }

  return {
    async list(actor: Actor | null, bucketId: string, query: FileListQuery) {
      const bucket = assertVisible(actor, await findBucketById(pool, bucketId));
      const [rows, total] = await Promise.all([
        listFiles(pool, bucket.id, {
          offset: (query.page - 1) * query.pageSize,
          limit: query.pageSize,
          search: query.search,
          sortBy: query.sortBy,
          sortOrder: query.sortOrder,
        }),
        countFiles(pool, bucket.id, query.search),
      ]);
      return { files: rows.map(toFileDto), total, page: query.page, page_size: query.pageSize };
    },

    async count(actor: Actor | null, bucketId: string, search?: string): Promise<number> {
      const bucket = assertVisible(actor, await findBucketById(pool, bucketId));
      return countFiles(pool, bucket.id, search);
    },

    totalCount(actor: Actor | null, search?: string): Promise<number> {
      return countVisibleFiles(pool, viewerOf(actor), search);
    },

    async get(actor: Actor | null, id: string): Promise<FileDto> {
      return toFileDto((await findVisible(actor, id)).file);
    },

    /** Replaces the file's metadata (SelfDB 0.0.5's semantics: the body becomes the new metadata object). */
    async updateMetadata(actor: Actor, id: string, metadata: Record<string, unknown>): Promise<FileDto> {
      const { file, bucket } = await findVisible(actor, id);
      if (!canChangeFile(actor, file, bucket)) throw AppError.forbidden('You can only update files you own');
      const row = await replaceFileMetadata(pool, id, metadata);
      if (!row) throw ERRORS.fileNotFound();
      return toFileDto(row);
    },

    /**
     * Deletes the row and the bytes together: the row is deleted in a transaction that commits only after the
     * storage service removed the bytes, so a storage failure (503) leaves the file whole.
     */
    async remove(actor: Actor, id: string): Promise<void> {
      const { file, bucket } = await findVisible(actor, id);
      if (!canChangeFile(actor, file, bucket)) throw AppError.forbidden('You can only delete files you own');
      await withTransaction(pool, async (client) => {
        const deleted = await deleteFile(client, file.id);
        if (!deleted) throw ERRORS.fileNotFound();
        await storage.deleteObject(bucket.name, deleted.path);
      });
    },
  };
}

export type FilesService = ReturnType<typeof createFilesService>;
