// File-system steps shared by backups and restores.
import { constants, type Dirent } from 'node:fs';
import { type FileHandle, lstat, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, RESERVED_NAME_PREFIX } from '@selfdb/common';

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => {});
}

export interface StorageEntry {
  /** Path below the storage root, `/`-separated. */
  relative: string;
  kind: 'directory' | 'file';
  size: number;
  mtime: Date;
}

export interface StorageWalk {
  entries: StorageEntry[];
  files: number;
  bytes: number;
  /** Symbolic links and special files, left out. */
  skipped: string[];
}

/**
 * Lists the storage root depth-first in name order: bucket folders and their files. Reserved `.selfdb-` names
 * (unfinished uploads, restore staging) and anything that is not a plain file or folder are left out.
 */
export async function walkStorage(root: string): Promise<StorageWalk> {
  const walk: StorageWalk = { entries: [], files: 0, bytes: 0, skipped: [] };
  async function visit(dir: string, prefix: string): Promise<void> {
    let items: Dirent[];
    try {
      items = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const item of items) {
      if (item.name.startsWith(RESERVED_NAME_PREFIX)) continue;
      const relative = prefix ? `${prefix}/${item.name}` : item.name;
      const path = join(dir, item.name);
      if (item.isDirectory()) {
        const info = await stat(path);
        walk.entries.push({ relative, kind: 'directory', size: 0, mtime: info.mtime });
        await visit(path, relative);
      } else if (item.isFile()) {
        const info = await lstat(path).catch(() => null);
        if (!info) continue;
        walk.entries.push({ relative, kind: 'file', size: info.size, mtime: info.mtime });
        walk.files++;
        walk.bytes += info.size;
      } else {
        walk.skipped.push(relative);
      }
    }
  }
  await visit(root, '');
  return walk;
}

/** Opens a regular file without following a link at its last component; null when it is gone. */
export async function openRegularFile(path: string): Promise<FileHandle | null> {
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    if ((await handle.stat()).isFile()) return handle;
    await handle.close();
    return null;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** A short message for the file-system errors a user can act on (no space, no permission); null for others. */
export function fsProblem(err: unknown, where: string): string | null {
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return `No space left on the device of ${where}`;
  if (code === 'EACCES' || code === 'EPERM') return `Permission denied writing to ${where}`;
  if (code === 'EROFS') return `${where} is on a read-only file system`;
  return null;
}

/** fsProblem's message, or the error's own. */
export function describeFsError(err: unknown, where: string): string {
  return fsProblem(err, where) ?? (err as Error).message;
}
