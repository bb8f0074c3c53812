import { createHash } from 'node:crypto';
import { type FileHandle, link, lstat, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import {
  AppError,
  errnoCode,
  ErrorCode,
  ERRORS,
  numberedPath,
  objectName,
  objectPathProblem,
} from '@selfdb/common';
import type { SpaceClaim } from './free-space.ts';
import type { IfExists, ObjectInfo } from './types.ts';

/** Buffer size of file streams: 128 KiB copied fastest here (64 KiB: more calls; 512 KiB+: fresh memory per read). */
export const STREAM_CHUNK_BYTES = 128 * 1024;
/** How many numbered names (`name (n).ext`) are tried before giving up. */
const MAX_NUMBERED_NAMES = 10_000;

/**
 * Counts and hashes the bytes that flow through, and fails the stream as soon as they exceed `maxBytes`, so a
 * body over the limit is never written past it. With a space claim, no byte passes before the volume has room for
 * it (507 otherwise).
 */
export class ByteMeter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(
    private readonly maxBytes = Number.POSITIVE_INFINITY,
    private readonly space?: SpaceClaim,
  ) {
    super({ highWaterMark: STREAM_CHUNK_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(ERRORS.fileTooLarge(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    const growing = this.space?.take(chunk.length);
    if (growing) growing.then(() => callback(null, chunk), callback);
    else callback(null, chunk);
  }

  /** Lower-case hex SHA-256 of everything that passed; call once, after the stream finished. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * A strong validator for a file on disk. Stored files are never modified in place (a new upload is a new inode),
 * so inode, size and modification time identify the bytes.
 */
export function etagOf(stats: { ino: number | bigint; size: number; mtimeMs: number }): string {
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

export async function infoOf(handle: FileHandle): Promise<ObjectInfo> {
  const stats = await handle.stat();
  return { size: stats.size, etag: etagOf(stats), modified: stats.mtime };
}

/**
 * Moves the complete file `source` to `dir/<name of path>` without ever replacing an existing file: a hard link
 * fails with EEXIST when the name is taken (atomic, so two concurrent uploads cannot both win), then the source
 * name is removed. When the name is taken, `rename` tries `name (1).ext`, `name (2).ext`, … Returns the path used.
 */
export async function placeFile(
  source: string,
  dir: string,
  path: string,
  ifExists: IfExists,
): Promise<string> {
  for (let n = 0; n <= MAX_NUMBERED_NAMES; n++) {
    const candidate = n === 0 ? path : numberedPath(path, n);
    if (n > 0) {
      const problem = objectPathProblem(candidate);
      if (problem) throw ERRORS.invalidPath(`No free name for this path: ${problem}`);
    }
    const target = join(dir, objectName(candidate));
    try {
      await link(source, target);
      await unlink(source);
      return candidate;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EEXIST') {
        if (ifExists === 'fail') throw ERRORS.fileExists();
        continue;
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    }
    // A file system without hard links (some network or FAT volumes): check, then rename. Not atomic against a
    // concurrent upload of the same name, which is the price of such a volume.
    const taken = await lstat(target).then(
      () => true,
      (err: unknown) => {
        if (errnoCode(err) === 'ENOENT') return false;
        throw err;
      },
    );
    if (taken) {
      if (ifExists === 'fail') throw ERRORS.fileExists();
      continue;
    }
    await rename(source, target);
    return candidate;
  }
  throw new AppError(409, ErrorCode.FILE_EXISTS, 'Too many files with this name already exist');
}
