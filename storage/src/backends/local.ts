import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, lstat, mkdir, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AppError,
  type ByteRange,
  ErrorCode,
  errnoCode,
  feed,
  RESERVED_NAME_PREFIX,
  syncDirectory,
} from '@selfdb/common';
import { FreeSpace } from './free-space.ts';
import { LocalUploads } from './local-uploads.ts';
import {
  assertBucketName,
  findBucketDirectory,
  locateObject,
  openRegularFile,
  prepareDirectory,
  syncFile,
} from './local-paths.ts';
import { etagOf, infoOf, placeFile, STREAM_CHUNK_BYTES, storeMeter } from './local-write.ts';
import type { NewUpload, ObjectStore, OpenedObject, PutOptions, StoredObject, UploadState } from './types.ts';

/** Temp files of writes in progress, next to their destination (same directory, so linking them is atomic). */
const TEMP_PREFIX = `${RESERVED_NAME_PREFIX}upload-`;
/** Deleted buckets are renamed to this first (instant), and their bytes removed afterwards. */
const TRASH_PREFIX = `${RESERVED_NAME_PREFIX}trash-`;
/** Partial resumable uploads, at the top of the root: never a bucket, since bucket names cannot start with `.`. */
const UPLOADS_DIR = `${RESERVED_NAME_PREFIX}uploads`;
/** A temp file older than this belongs to a write that can no longer finish (the process that made it is gone). */
const STALE_TEMP_MS = 60 * 60 * 1000;

export interface LocalStoreOptions {
  /** Writes that would leave less than this many bytes free on the volume are refused with 507 (default 0). */
  minFreeBytes?: number;
}

/**
 * The local file-system store: `<root>/<bucket>/<path>`, the layout of SelfDB 0.0.5's storage volume and of the
 * `storage/` folder of backup archives. Writes go to a temp file in the destination directory, are counted,
 * hashed and verified while streaming, fsynced, and only then linked into place.
 */
export class LocalObjectStore implements ObjectStore {
  private readonly uploads: LocalUploads;
  /** Removals of deleted buckets still running (awaited by close, so tests and shutdown leave nothing behind). */
  private readonly pendingRemovals = new Set<Promise<void>>();

  private constructor(
    private readonly root: string,
    private readonly space: FreeSpace,
  ) {
    this.uploads = new LocalUploads(join(root, UPLOADS_DIR), root, space);
  }

  /** Opens (creating when needed) the store at `rootPath`; symbolic links in `rootPath` itself are resolved once. */
  static async open(rootPath: string, options: LocalStoreOptions = {}): Promise<LocalObjectStore> {
    await mkdir(rootPath, { recursive: true, mode: 0o750 });
    const root = await realpath(rootPath);
    await mkdir(join(root, UPLOADS_DIR), { recursive: true, mode: 0o750 });
    return new LocalObjectStore(root, new FreeSpace(root, options.minFreeBytes ?? 0));
  }

  async checkHealth(): Promise<void> {
    await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
  }

  async createBucket(name: string): Promise<void> {
    assertBucketName(name);
    try {
      await mkdir(join(this.root, name), { mode: 0o750 });
      await syncDirectory(this.root);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      if (!(await findBucketDirectory(this.root, name))) throw err;
    }
  }

  async bucketExists(name: string): Promise<boolean> {
    return (await findBucketDirectory(this.root, name)) !== null;
  }

  async deleteBucket(name: string): Promise<void> {
    const dir = await findBucketDirectory(this.root, name);
    if (!dir) return;
    const trash = join(this.root, `${TRASH_PREFIX}${randomUUID()}`);
    try {
      await rename(dir, trash);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    this.removeInBackground(trash);
  }

  async putObject(bucket: string, path: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const dir = await prepareDirectory(this.root, bucket, path);
    const temp = join(dir, `${TEMP_PREFIX}${randomUUID()}.tmp`);
    const claim = this.space.claim(options.limit?.bytes);
    let placed = false;
    try {
      // A known size claims its space before the temp file exists: 507 before a byte is written.
      if (options.expectedSize !== undefined) await claim.reserve(options.expectedSize);
      const meter = storeMeter(options.limit, claim);
      feed(body, meter);
      // 'wx': the temp name is new; an existing file is never written through.
      await pipeline(
        meter,
        createWriteStream(temp, { flags: 'wx', mode: 0o640, highWaterMark: STREAM_CHUNK_BYTES }),
      );
      if (options.expectedSize !== undefined && meter.bytes !== options.expectedSize) {
        throw AppError.badRequest(
          `The body has ${meter.bytes} bytes, Content-Length said ${options.expectedSize}`,
        );
      }
      const sha256 = meter.digest();
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
        throw new AppError(
          400,
          ErrorCode.CHECKSUM_MISMATCH,
          `The body's SHA-256 is ${sha256}, not the one announced`,
        );
      }
      const stats = await syncFile(temp);
      await placeFile(temp, dir, path);
      placed = true;
      await syncDirectory(dir);
      return { bucket, path, size: meter.bytes, sha256, etag: etagOf(stats) };
    } finally {
      claim.release();
      if (!placed) await rm(temp, { force: true });
    }
  }

  async openObject(bucket: string, path: string): Promise<OpenedObject | null> {
    const location = await locateObject(this.root, bucket, path);
    const handle = location && (await openRegularFile(location.file));
    if (!handle) return null;
    const info = await infoOf(handle).catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    return {
      info,
      stream(range?: ByteRange) {
        if (!range && info.size === 0) {
          // A read stream cannot describe an empty range (end < start).
          void handle.close();
          return Readable.from([]);
        }
        return handle.createReadStream({
          highWaterMark: STREAM_CHUNK_BYTES,
          ...(range ? { start: range.start, end: range.end } : { start: 0, end: info.size - 1 }),
        });
      },
      close() {
        return handle.close();
      },
    };
  }

  async deleteObject(bucket: string, path: string): Promise<boolean> {
    const location = await locateObject(this.root, bucket, path);
    if (!location) return false;
    try {
      if ((await lstat(location.file)).isDirectory()) return false;
      await unlink(location.file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
    await syncDirectory(location.dir);
    return true;
  }

  createUpload(upload: NewUpload): Promise<UploadState> {
    return this.uploads.create(upload);
  }

  getUpload(id: string): Promise<UploadState | null> {
    return this.uploads.get(id);
  }

  appendUpload(id: string, offset: number, body: Readable): Promise<UploadState> {
    return this.uploads.append(id, offset, body);
  }

  completeUpload(id: string, path?: string): Promise<StoredObject> {
    return this.uploads.complete(id, path);
  }

  deleteUpload(id: string): Promise<boolean> {
    return this.uploads.remove(id);
  }

  deleteExpiredUploads(maxAgeMs: number): Promise<number> {
    return this.uploads.removeExpired(maxAgeMs);
  }

  /**
   * Removes what interrupted work left behind: trash of deleted buckets, and temp files of writes whose process
   * died (a crash or kill -9 between open and link). Runs in the background after start; returns how many.
   */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (entry.name.startsWith(TRASH_PREFIX)) {
        await rm(join(this.root, entry.name), { recursive: true, force: true });
        removed++;
      } else if (entry.isDirectory() && !entry.name.startsWith('.')) {
        removed += await this.sweepTempFiles(join(this.root, entry.name));
      }
    }
    return removed;
  }

  private async sweepTempFiles(dir: string): Promise<number> {
    let removed = 0;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        removed += await this.sweepTempFiles(path);
      } else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
        const stats = await stat(path).catch(() => null);
        if (stats && Date.now() - stats.mtimeMs > STALE_TEMP_MS) {
          await rm(path, { force: true });
          removed++;
        }
      }
    }
    return removed;
  }

  private removeInBackground(path: string): void {
    const removal = rm(path, { recursive: true, force: true })
      .catch(() => {})
      .finally(() => this.pendingRemovals.delete(removal));
    this.pendingRemovals.add(removal);
  }

  /** Waits for background removals to finish. */
  async close(): Promise<void> {
    await Promise.all([...this.pendingRemovals]);
  }
}
