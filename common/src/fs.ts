import { type FileHandle, open } from 'node:fs/promises';

/** The errno code of a failed file-system call (`ENOENT`, `EEXIST`, …); undefined for other errors. */
export const errnoCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

/** fsync of a directory, so a rename or link in it survives a crash; ignored where the platform refuses it. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems do not support fsync on directories; callers have already synced the data itself.
  } finally {
    await handle?.close().catch(() => {});
  }
}
