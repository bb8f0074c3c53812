import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { AppError, errnoCode, ErrorCode, ERRORS, isValidBucketName, objectPathProblem } from '@selfdb/common';

// Path safety for the local store. Names are validated as text first (no `..`, NUL, absolute paths, …: see
// objectPathProblem), then every directory on the way is checked on disk to be a real directory, never a
// symbolic link, so a link planted in the volume cannot lead a read or a write outside its bucket.

export function assertBucketName(name: string): void {
  if (!isValidBucketName(name)) {
    throw ERRORS.invalidPath(
      'Invalid bucket name: 3-63 characters of a-z, 0-9 and -, starting and ending alphanumeric',
    );
  }
}

/** Validates an object path as text and splits it into its directory segments and its name. */
export function splitObjectPath(path: string): { dirs: string[]; name: string } {
  const problem = objectPathProblem(path);
  if (problem) throw ERRORS.invalidPath(problem);
  const segments = path.split('/');
  const name = segments.pop() as string;
  return { dirs: segments, name };
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** `path` when it lies within `dir` (a second line of defence behind the name checks); 400 otherwise. */
function inside(dir: string, path: string): string {
  if (path !== dir && !path.startsWith(`${dir}${sep}`))
    throw ERRORS.invalidPath('The path leaves its bucket');
  return path;
}

/** The bucket's directory when it exists as a real directory; null when it does not exist. */
export async function findBucketDirectory(root: string, bucket: string): Promise<string | null> {
  assertBucketName(bucket);
  const dir = join(root, bucket);
  const stats = await lstatOrNull(dir);
  if (!stats) return null;
  if (stats.isSymbolicLink() || !stats.isDirectory())
    throw ERRORS.invalidPath('The bucket is not a directory');
  return dir;
}

/**
 * Makes sure `bucketDir/dirs…` exist as real directories, creating the missing ones one level at a time (a
 * recursive mkdir would follow a planted symbolic link). Returns the innermost directory.
 */
async function ensureDirectories(bucketDir: string, dirs: string[]): Promise<string> {
  let current = bucketDir;
  for (const segment of dirs) {
    current = inside(bucketDir, join(current, segment));
    let stats = await lstatOrNull(current);
    if (!stats) {
      try {
        await mkdir(current, { mode: 0o750 });
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      stats = await lstat(current);
    }
    if (stats.isSymbolicLink()) throw ERRORS.invalidPath('The path goes through a symbolic link');
    if (!stats.isDirectory()) {
      throw new AppError(409, ErrorCode.FILE_EXISTS, `A file is in the way: "${segment}" is not a directory`);
    }
  }
  return current;
}

/**
 * The directory `bucketDir/dirs…` when it exists and no part of it is a symbolic link (its real path is the
 * expected one); null when it does not exist.
 */
async function findDirectory(bucketDir: string, dirs: string[]): Promise<string | null> {
  const expected = inside(bucketDir, join(bucketDir, ...dirs));
  let real: string;
  try {
    real = await realpath(expected);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
    throw err;
  }
  if (real !== expected) throw ERRORS.invalidPath('The path goes through a symbolic link');
  return expected;
}

/** The directory an object at `path` of `bucket` goes in, created as needed; 404 when there is no such bucket. */
export async function prepareDirectory(root: string, bucket: string, path: string): Promise<string> {
  const { dirs } = splitObjectPath(path);
  const bucketDir = await findBucketDirectory(root, bucket);
  if (!bucketDir) throw ERRORS.bucketNotFound();
  return ensureDirectories(bucketDir, dirs);
}

/** Where the object at `path` of `bucket` is (its directory and file), or null when its directory does not exist. */
export async function locateObject(
  root: string,
  bucket: string,
  path: string,
): Promise<{ dir: string; file: string } | null> {
  const { dirs, name } = splitObjectPath(path);
  const bucketDir = await findBucketDirectory(root, bucket);
  if (!bucketDir) return null;
  const dir = await findDirectory(bucketDir, dirs);
  if (!dir) return null;
  return { dir, file: inside(dir, join(dir, name)) };
}

/** Opens a regular file for reading without following a symbolic link; null when there is none. */
export async function openRegularFile(path: string): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: a symbolic link in the last component fails with ELOOP instead of being followed.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') throw ERRORS.invalidPath('The path is a symbolic link');
    throw err;
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    return null;
  }
  return handle;
}

/** fsync of a file's data (it applies to the file, whichever descriptor wrote it); returns its final stats. */
export async function syncFile(path: string) {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
    return await handle.stat();
  } finally {
    await handle.close();
  }
}
