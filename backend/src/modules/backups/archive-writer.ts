// Writes one backup archive: pg_dump's output is streamed to a work file (measured and hashed on the way: tar
// needs each member's size before its data, so pg_dump's stdout cannot go straight into the tar stream), then
// database.sql, .env, storage/… and manifest.json are streamed through gzip into a hidden temp file, fsynced,
// and linked under the final name only when complete. A failure at any point removes the temp file.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { link, mkdir, mkdtemp, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { syncDirectory } from '@selfdb/common';
import { archiveName } from './archive-names.ts';
import { DumpMeter } from './dump-scanner.ts';
import { fsProblem, openRegularFile, removeQuietly, walkStorage } from './fs-utils.ts';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest } from './manifest.ts';
import { databaseOf, spawnPgDump } from './postgres-tools.ts';
import type { Progress } from './progress.ts';
import { type MemberRecord, type TarMember, tarStream } from './tar-writer.ts';

export interface ArchiveSources {
  /** Direct URL of the SelfDB database. */
  directUrl: string;
  pgBinDir: string;
  storageDir: string;
  /** Copied in as `.env` when it exists; '' for none. */
  envFile: string;
  backupsDir: string;
}

export interface ArchiveInfo {
  selfdbVersion: string;
  serverVersion: string;
  pgDumpVersion: string;
  migrationLevel: string | null;
  trigger: string;
  /** Timestamp of the name (the cron tick for scheduled backups). */
  date: Date;
  suffix: string | null;
}

export interface CreatedArchive {
  filename: string;
  path: string;
  size: number;
  durationMs: number;
  manifest: Manifest;
}

interface Log {
  warn(message: string): void;
}

export class BackupWriteError extends Error {
  override name = 'BackupWriteError';
}

/** Links `temp` as the first free name from `date` on (one second later per taken name): never overwrites. */
async function linkUnderFreeName(temp: string, dir: string, date: Date, suffix: string | null) {
  for (let i = 0; i < 120; i++) {
    const name = archiveName(new Date(date.getTime() + i * 1000), suffix);
    try {
      await link(temp, join(dir, name));
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new BackupWriteError('No free archive name: too many archives with the same timestamp');
}

/** Dumps the database into `path`; returns its size, SHA-256 and rows per table. */
async function dumpDatabase(sources: ArchiveSources, path: string, progress: Progress) {
  const dump = spawnPgDump(sources.pgBinDir, sources.directUrl);
  const meter = new DumpMeter((bytes) => progress.addBytes(bytes));
  try {
    await Promise.all([
      pipeline(dump.child.stdout as NodeJS.ReadableStream, meter, createWriteStream(path, { flags: 'wx', mode: 0o600 })),
      dump.done,
    ]);
  } catch (err) {
    dump.child.kill('SIGTERM');
    await dump.done.catch(() => {});
    throw err;
  }
  return { size: meter.bytes, sha256: meter.digest(), tables: Object.fromEntries(meter.rowCounts) };
}

/** Creates an archive in `sources.backupsDir`; the caller holds the operation lock. */
export async function createArchive(
  sources: ArchiveSources,
  info: ArchiveInfo,
  progress: Progress,
  log: Log,
): Promise<CreatedArchive> {
  const started = Date.now();
  await mkdir(sources.backupsDir, { recursive: true });
  const work = await mkdtemp(join(sources.backupsDir, '.selfdb-tmp-'));
  const temp = join(sources.backupsDir, `.selfdb-partial-${process.pid}-${Date.now()}.tar.gz`);
  try {
    progress.phase('dumping database');
    const sqlPath = join(work, 'database.sql');
    // The storage listing runs while pg_dump works: it gives the archive step its totals.
    const [dump, storage] = await Promise.all([
      dumpDatabase(sources, sqlPath, progress),
      walkStorage(sources.storageDir),
    ]);
    for (const skipped of storage.skipped) log.warn(`backup: left out storage/${skipped} (not a plain file)`);
    const envData = sources.envFile ? await readFile(sources.envFile).catch(() => null) : null;

    const records: MemberRecord[] = [];
    const now = new Date();
    const manifest = (): Manifest => ({
      format: MANIFEST_FORMAT,
      format_version: MANIFEST_VERSION,
      selfdb_version: info.selfdbVersion,
      migration_level: info.migrationLevel,
      postgres_version: info.serverVersion,
      pg_dump_version: info.pgDumpVersion,
      database: databaseOf(sources.directUrl),
      created_at: now.toISOString(),
      trigger: info.trigger,
      tables: dump.tables,
      storage: { files: storage.files, bytes: storage.bytes },
      members: records,
    });
    let finalManifest: Manifest | null = null;
    async function* members(): AsyncGenerator<TarMember> {
      const sql = await open(sqlPath, 'r');
      yield { kind: 'file', name: 'database.sql', mtime: now, handle: sql, size: dump.size, sha256: dump.sha256 };
      if (envData) yield { kind: 'buffer', name: '.env', mtime: now, data: envData };
      yield { kind: 'directory', name: 'storage', mtime: now };
      for (const entry of storage.entries) {
        const name = `storage/${entry.relative}`;
        if (entry.kind === 'directory') {
          yield { kind: 'directory', name, mtime: entry.mtime };
          continue;
        }
        const handle = await openRegularFile(join(sources.storageDir, entry.relative));
        if (!handle) {
          log.warn(`backup: ${name} disappeared while the backup ran; left out`);
          continue;
        }
        const { size, mtime } = await handle.stat();
        progress.addFile();
        yield { kind: 'file', name, mtime, handle, size };
      }
      finalManifest = manifest();
      yield {
        kind: 'buffer',
        name: 'manifest.json',
        mtime: now,
        data: Buffer.from(`${JSON.stringify(finalManifest, null, 2)}\n`),
      };
    }

    progress.phase('writing archive', {
      bytes: dump.size + (envData?.length ?? 0) + storage.bytes,
      files: storage.files,
    });
    // flush: the data is fsynced before the stream closes, so the name is never linked to unwritten blocks.
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true, highWaterMark: 1024 * 1024 });
    await pipeline(
      tarStream(members(), {
        onMember: (record) => {
          if (record.name !== 'manifest.json') records.push(record);
        },
        onBytes: (bytes) => progress.addBytes(bytes),
        onShortFile: (name) => log.warn(`backup: ${name} shrank while it was archived; padded with zeros`),
      }),
      createGzip({ level: 6, chunkSize: 256 * 1024 }),
      out,
    );
    if (!out.closed) await once(out, 'close');
    const { size } = await stat(temp);
    const filename = await linkUnderFreeName(temp, sources.backupsDir, info.date, info.suffix);
    await unlink(temp);
    await syncDirectory(sources.backupsDir);
    return {
      filename,
      path: join(sources.backupsDir, filename),
      size,
      durationMs: Date.now() - started,
      manifest: finalManifest as unknown as Manifest,
    };
  } catch (err) {
    await unlink(temp).catch(() => {});
    const problem = fsProblem(err, sources.backupsDir);
    if (problem) throw new BackupWriteError(`${problem} while writing the backup: the partial archive was removed`);
    throw err;
  } finally {
    await removeQuietly(work);
  }
}
