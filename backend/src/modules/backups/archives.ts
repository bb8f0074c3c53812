// The archives in the backups folder: listing (newest first), retention, and removal of work files that a
// crashed process left behind.
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RESERVED_NAME_PREFIX } from '@selfdb/common';
import { parseArchiveName } from './archive-names.ts';
import { removeQuietly } from './fs-utils.ts';

export interface ArchiveEntry {
  filename: string;
  size: number;
  createdAt: Date;
  suffix: string | null;
}

/** Every archive whose name SelfDB writes (named CLI backups included), newest first. */
export async function listArchives(dir: string): Promise<ArchiveEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: ArchiveEntry[] = [];
  for (const filename of names) {
    const parsed = parseArchiveName(filename);
    if (!parsed) continue;
    const info = await stat(join(dir, filename)).catch(() => null);
    if (!info?.isFile()) continue;
    entries.push({ filename, size: info.size, ...parsed });
  }
  return entries.sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.filename < b.filename ? 1 : -1),
  );
}

/**
 * Deletes the scheduled/API archives (no `_suffix`) whose timestamp is older than `days` days. Named archives are
 * kept: someone made them on purpose (`backup_now.sh --name before-upgrade`). Returns the deleted names.
 */
export async function deleteExpiredArchives(dir: string, days: number, now = new Date()): Promise<string[]> {
  if (days <= 0) return [];
  const cutoff = now.getTime() - days * 24 * 60 * 60 * 1000;
  const deleted: string[] = [];
  for (const entry of await listArchives(dir)) {
    if (entry.suffix !== null || entry.createdAt.getTime() >= cutoff) continue;
    await unlink(join(dir, entry.filename));
    deleted.push(entry.filename);
  }
  return deleted;
}

/** Removes work folders and partial archives older than `maxAgeMs` (left by a process that died mid-way). */
export async function removeStaleWork(dir: string, maxAgeMs = 6 * 60 * 60 * 1000): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(RESERVED_NAME_PREFIX)) continue;
    const info = await stat(join(dir, name)).catch(() => null);
    if (info && now - info.mtimeMs > maxAgeMs) await removeQuietly(join(dir, name));
  }
}

/** A new hidden file name in `dir` for an archive being received (an upload, or the CLI's stdin). */
export async function receivingPath(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return join(dir, `${RESERVED_NAME_PREFIX}upload-${process.pid}-${Date.now()}.tar.gz`);
}
