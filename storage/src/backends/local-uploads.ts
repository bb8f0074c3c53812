import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, errnoCode, ErrorCode, ERRORS, feed, syncDirectory } from '@selfdb/common';
import { findBucketDirectory, prepareDirectory, splitObjectPath, syncFile } from './local-paths.ts';
import type { FreeSpace } from './free-space.ts';
import { etagOf, placeFile, STREAM_CHUNK_BYTES, storeMeter } from './local-write.ts';
import type { NewUpload, StoredObject, UploadState } from './types.ts';

const ID_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

type StoredState = Omit<UploadState, 'offset'>;

/**
 * Resumable uploads on the local file system: `<dir>/<id>.part` accumulates the bytes (its size is the offset),
 * `<dir>/<id>.json` describes the upload. `dir` sits on the same file system as the buckets, so completing an
 * upload links the part file into its bucket without copying a byte.
 */
export class LocalUploads {
  /** Uploads a request is writing to or completing: one at a time per upload, in this process. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly root: string,
    private readonly space: FreeSpace,
  ) {}

  private files(id: string) {
    if (!ID_PATTERN.test(id)) throw AppError.badRequest('Invalid upload id');
    return { data: join(this.dir, `${id}.part`), info: join(this.dir, `${id}.json`) };
  }

  private async withLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    if (this.busy.has(id)) {
      throw AppError.conflict('Another request is writing to this upload', ErrorCode.UPLOAD_OFFSET_MISMATCH);
    }
    this.busy.add(id);
    try {
      return await work();
    } finally {
      this.busy.delete(id);
    }
  }

  async create(upload: NewUpload): Promise<UploadState> {
    const { data, info } = this.files(upload.id);
    splitObjectPath(upload.path);
    if (!Number.isSafeInteger(upload.length) || upload.length < 0) {
      throw AppError.badRequest('Invalid upload length');
    }
    if (!(await findBucketDirectory(this.root, upload.bucket))) throw ERRORS.bucketNotFound();
    // The whole upload must fit now (507 at creation); each append claims its own bytes again as they arrive.
    await this.space.assertRoomFor(upload.length);
    const state: StoredState = { ...upload, createdAt: new Date().toISOString() };
    try {
      // Creating the part file exclusively claims the id.
      await (await open(data, 'wx', 0o640)).close();
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') throw AppError.conflict('An upload with this id exists');
      throw err;
    }
    await writeFile(`${info}.tmp`, JSON.stringify(state), { mode: 0o640 });
    await rename(`${info}.tmp`, info);
    await syncDirectory(this.dir);
    return { ...state, offset: 0 };
  }

  async get(id: string): Promise<UploadState | null> {
    const { data, info } = this.files(id);
    try {
      const state = JSON.parse(await readFile(info, 'utf8')) as StoredState;
      return { ...state, offset: (await stat(data)).size };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
  }

  /** Appends the body at `offset`. Bytes that arrived before the body was cut short stay (that is the resume). */
  append(id: string, offset: number, body: Readable): Promise<UploadState> {
    return this.withLock(id, async () => {
      const { data } = this.files(id);
      const state = await this.get(id);
      if (!state) throw ERRORS.uploadNotFound();
      if (state.offset !== offset) {
        throw AppError.conflict(
          `The upload is at offset ${state.offset}, not ${offset}`,
          ErrorCode.UPLOAD_OFFSET_MISMATCH,
        );
      }
      const claim = this.space.claim(state.length - offset);
      try {
        const rest = state.length - offset;
        const meter = storeMeter({ bytes: rest, tooLarge: () => ERRORS.fileTooLarge(rest) }, claim);
        feed(body, meter);
        await pipeline(
          meter,
          createWriteStream(data, { flags: 'r+', start: offset, highWaterMark: STREAM_CHUNK_BYTES }),
        );
      } finally {
        claim.release();
        // Whatever was written, complete or not, is made durable: the offset a client resumes from must hold.
        await syncFile(data).catch(() => {});
      }
      return { ...state, offset: (await stat(data)).size };
    });
  }

  /**
   * Checks the upload is whole, hashes it, and links it into its bucket at exactly the path given (409 FILE_EXISTS
   * when taken, the upload left as it was); the upload is gone afterwards.
   */
  complete(id: string, targetPath?: string): Promise<StoredObject> {
    return this.withLock(id, async () => {
      const { data, info } = this.files(id);
      const state = await this.get(id);
      if (!state) throw ERRORS.uploadNotFound();
      if (state.offset !== state.length) {
        throw AppError.conflict(
          `The upload has ${state.offset} of ${state.length} bytes`,
          ErrorCode.UPLOAD_INCOMPLETE,
        );
      }
      const meter = storeMeter();
      await pipeline(createReadStream(data, { highWaterMark: STREAM_CHUNK_BYTES }), meter, async (chunks) => {
        for await (const _ of chunks);
      });
      const path = targetPath ?? state.path;
      const dir = await prepareDirectory(this.root, state.bucket, path);
      const stats = await stat(data);
      await placeFile(data, dir, path);
      await syncDirectory(dir);
      await rm(info, { force: true });
      return { bucket: state.bucket, path, size: meter.bytes, sha256: meter.digest(), etag: etagOf(stats) };
    });
  }

  async remove(id: string): Promise<boolean> {
    const { data, info } = this.files(id);
    const existed = await stat(info).then(
      () => true,
      () => false,
    );
    await rm(data, { force: true });
    await rm(info, { force: true });
    return existed;
  }

  /**
   * Deletes uploads untouched for `maxAgeMs`, and part files whose description was never written. An upload's
   * age counts from its last activity (the later mtime of its part file, which every append moves, and its
   * description), not from its creation: a slow upload still being resumed must not expire mid-transfer.
   */
  async removeExpired(maxAgeMs: number): Promise<number> {
    const cutoff = Date.now() - maxAgeMs;
    const names = new Set(await readdir(this.dir));
    const mtimeOf = async (name: string) =>
      (await stat(join(this.dir, name)).catch(() => null))?.mtimeMs ?? null;
    let removed = 0;
    for (const name of names) {
      const match = /^(.+)\.(part|json)$/.exec(name);
      const id = match?.[1];
      if (!id || !ID_PATTERN.test(id) || this.busy.has(id)) continue;
      const isOrphanPart = match[2] === 'part' && !names.has(`${id}.json`);
      if (match[2] !== 'json' && !isOrphanPart) continue;
      const info = await mtimeOf(`${id}.json`);
      const data = await mtimeOf(`${id}.part`);
      if (info === null && data === null) continue;
      if (Math.max(info ?? 0, data ?? 0) < cutoff) {
        await this.remove(id);
        removed++;
      }
    }
    return removed;
  }
}
