import { type FileHandle, link, lstat, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type ByteLimit, ByteMeter, errnoCode, ERRORS, objectName } from '@selfdb/common';
import type { SpaceClaim } from './free-space.ts';
import type { ObjectInfo } from './types.ts';

/** Buffer size of file streams: 128 KiB copied fastest here (64 KiB: more calls; 512 KiB+: fresh memory per read). */
export const STREAM_CHUNK_BYTES = 128 * 1024;

/**
 * The shared byte meter (@selfdb/common), as the store uses it: counts and hashes the bytes, fails as soon as they
 * pass the caller's limit, and with a space claim lets no byte pass before the volume has room for it (507).
 */
export function storeMeter(limit?: ByteLimit | null, space?: SpaceClaim): ByteMeter {
  return new ByteMeter({
    limit,
    hash: true,
    gate: space ? (chunkBytes) => space.take(chunkBytes) : undefined,
    highWaterMark: STREAM_CHUNK_BYTES,
  });
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
 * name is removed. A taken name is 409 FILE_EXISTS and `source` stays: the caller chose the path, and chooses again.
 */
export async function placeFile(source: string, dir: string, path: string): Promise<void> {
  const target = join(dir, objectName(path));
  try {
    await link(source, target);
    await unlink(source);
    return;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') throw ERRORS.fileExists();
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
  if (taken) throw ERRORS.fileExists();
  await rename(source, target);
}
