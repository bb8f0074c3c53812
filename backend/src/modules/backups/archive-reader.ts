// Reads a backup archive as a stream and checks everything before anything live is touched: gzip integrity,
// member names and types, database.sql present, and (when there is a manifest) every member's size and SHA-256.
// Members are written only below the two targets the caller gives; nothing is ever held whole
// in memory: the only members read into memory, manifest.json and the head of .env, have a size cap.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open as openFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { RESERVED_NAME_PREFIX } from '@selfdb/common';
import { Parser, type ReadEntry } from 'tar';
import { ArchiveError } from './archive-error.ts';
import { type Manifest, parseManifest } from './manifest.ts';
import type { MemberRecord } from './tar-writer.ts';

export interface ExtractTargets {
  /** Where `database.sql` is written; null only checks it. */
  sqlPath: string | null;
  /** The folder that receives the contents of `storage/` (bucket folders); null skips storage members. */
  storageDir: string | null;
  onBytes?: (bytes: number) => void;
  onFile?: () => void;
}

export interface ExtractResult {
  /** Every file member by its normalised name (`./` removed), manifest.json excluded. */
  members: Map<string, MemberRecord>;
  manifest: Manifest | null;
  storageFiles: number;
  /** The first ENV_KEEP_BYTES of the archive's .env (to keep its values out of error messages); null: none. */
  envText: string | null;
}

/**
 * manifest.json is parsed whole, so its size is capped: a few MiB, plus room for one entry per member that came
 * before it (SelfDB writes it last, after every member it lists). A gzip bomb cannot get past the cap.
 */
const MANIFEST_BASE_BYTES = 4 * 1024 * 1024;
const MANIFEST_BYTES_PER_MEMBER = 512;
const MANIFEST_MAX_BYTES = 256 * 1024 * 1024;
/** JSON.parse costs ~100 bytes of heap per value: the number of values is capped as well. */
const MANIFEST_BASE_VALUES = 100_000;
const MANIFEST_VALUES_PER_MEMBER = 16;
/** Only the head of .env is kept (its values are redacted from error messages); the rest is hashed, not kept. */
const ENV_KEEP_BYTES = 64 * 1024;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;

/**
 * The member name without leading `./` (upstream's CLI wrote `./database.sql`), or an ArchiveError for a name that
 * could leave the target folder: absolute, `..`, backslashes, control characters. '' is the archive root.
 */
export function normaliseMemberName(raw: string): string {
  let name = raw;
  while (name.startsWith('./')) name = name.slice(2);
  if (name === '.' || name === '') return '';
  if (name.endsWith('/')) name = name.slice(0, -1);
  const unsafe =
    raw.startsWith('/') ||
    /^[A-Za-z]:/.test(raw) ||
    name.includes('\\') ||
    CONTROL_CHARACTERS.test(name) ||
    name.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
  if (unsafe) throw new ArchiveError(`Unsafe member name in the archive: ${JSON.stringify(raw)}`);
  return name;
}

/** Keeps the last block of the decompressed stream, to check that the tar ends with its end-of-archive blocks. */
class TailKeeper extends Transform {
  tail: Buffer = Buffer.alloc(0);
  total = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    this.total += chunk.length;
    this.tail = chunk.length >= 512 ? chunk.subarray(-512) : Buffer.concat([this.tail, chunk]).subarray(-512);
    done(null, chunk);
  }
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

function typeProblem(entry: ReadEntry): string | null {
  if (FILE_TYPES.has(entry.type) || entry.type === 'Directory') return null;
  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    return `The archive member ${JSON.stringify(entry.path)} is a link (to ${JSON.stringify(entry.linkpath ?? '')}): links are refused`;
  }
  return `The archive member ${JSON.stringify(entry.path)} has an unsupported type (${entry.type})`;
}

function describeStreamError(err: Error & { code?: string }): Error {
  if (err instanceof ArchiveError) return err;
  if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
    return new ArchiveError('The archive is truncated (unexpected end of the gzip data)');
  }
  if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return new ArchiveError(`The archive is corrupted (gzip: ${err.message})`);
  }
  if (err.code === 'TAR_BAD_ARCHIVE' || err.code === 'TAR_ENTRY_INVALID' || err.code === 'TAR_ABORT') {
    return new ArchiveError(`The archive is corrupted (tar: ${err.message})`);
  }
  return err;
}

/** node-tar's Parser as a real Writable, so that pipeline() sees its back-pressure, its end and its errors. */
function parserSink(parser: Parser): Writable {
  const sink = new Writable({
    highWaterMark: 256 * 1024,
    write(chunk: Buffer, _encoding, done) {
      if (parser.write(chunk)) done();
      else parser.once('drain', () => done());
    },
    final(done) {
      parser.once('end', () => done());
      parser.end();
    },
  });
  parser.on('error', (err: Error) => sink.destroy(err));
  return sink;
}

/** Checks the first bytes: an empty file or another format fails here, before any decompression. */
async function assertGzipFile(path: string): Promise<void> {
  const handle = await openFile(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) throw new ArchiveError('The backup file is empty');
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    if (size < 20 || head[0] !== 0x1f || head[1] !== 0x8b) {
      throw new ArchiveError('The file is not a gzip-compressed tar archive (.tar.gz)');
    }
  } finally {
    await handle.close();
  }
}

/** Streams `archivePath` into the targets, checking names, types, sizes and the manifest's checksums. */
export async function extractArchive(archivePath: string, targets: ExtractTargets): Promise<ExtractResult> {
  await assertGzipFile(archivePath);
  const members = new Map<string, MemberRecord>();
  const seen = new Set<string>();
  const writes: Promise<void>[] = [];
  /** Files being written: closed at once when the archive fails (their entries will never end). */
  const openStreams = new Set<WriteStream>();
  let manifestText: Buffer | null = null;
  let envText: string | null = null;
  let storageFiles = 0;
  let failure: Error | null = null;

  const parser = new Parser({ strict: true });
  const fail = (err: Error) => {
    failure ??= err;
    parser.abort(err);
  };

  /** Consumes an entry's data, hashing it, into `path` (or nowhere). One 'data' listener, so no chunk is missed. */
  const consume = (
    entry: ReadEntry,
    name: string,
    path: string | null,
    options: { mode?: number; onChunk?: (chunk: Buffer) => void } = {},
  ) => {
    const hash = createHash('sha256');
    let size = 0;
    // 'wx': never overwrite, never follow a link planted at the final name.
    const out = path ? createWriteStream(path, { flags: 'wx', mode: options.mode ?? 0o640 }) : null;
    if (out) openStreams.add(out);
    const written = out
      ? new Promise<void>((resolve, reject) => {
          out.on('close', () => {
            openStreams.delete(out);
            resolve();
          });
          out.on('error', (err) => {
            entry.resume();
            fail(err);
            reject(err);
          });
        })
      : Promise.resolve();
    const finished = new Promise<void>((resolve, reject) => {
      entry.on('end', () => {
        out?.end();
        if (size !== entry.size) {
          reject(new ArchiveError(`The archive is truncated: ${name} has ${size} of ${entry.size} bytes`));
          return;
        }
        members.set(name, { name, size, sha256: hash.digest('hex') });
        resolve();
      });
    });
    entry.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
      options.onChunk?.(chunk);
      targets.onBytes?.(chunk.length);
      if (out && !out.write(chunk)) {
        entry.pause();
        out.once('drain', () => entry.resume());
      }
    });
    return Promise.all([finished, written]).then(() => {});
  };
  /** Awaited only when the archive reads to its end; until then a failure must not count as unhandled. */
  const track = (work: Promise<unknown>) => {
    const settled = work.then(() => {});
    settled.catch(() => {});
    writes.push(settled);
  };

  parser.on('entry', (entry: ReadEntry) => {
    if (failure) return entry.resume();
    try {
      const name = normaliseMemberName(entry.path);
      const problem = typeProblem(entry);
      if (problem) throw new ArchiveError(problem);
      if (name === '') return entry.resume();
      if (seen.has(name)) throw new ArchiveError(`The archive holds ${JSON.stringify(name)} twice`);
      seen.add(name);
      const isFile = entry.type !== 'Directory';
      if (name === 'manifest.json' && isFile) {
        const cap = Math.min(MANIFEST_MAX_BYTES, MANIFEST_BASE_BYTES + MANIFEST_BYTES_PER_MEMBER * seen.size);
        // The header's size is checked before a byte is read, and the bytes read are counted too.
        if (entry.size > cap) throw manifestTooLarge(entry.size, cap);
        const chunks: Buffer[] = [];
        let size = 0;
        entry.on('end', () => {
          manifestText = Buffer.concat(chunks);
        });
        entry.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > cap) return fail(manifestTooLarge(size, cap));
          chunks.push(chunk);
        });
        return;
      }
      if (name === 'database.sql' && isFile) {
        // The dump may hold secrets (password hashes, webhook secrets): readable by this user only.
        track(consume(entry, name, targets.sqlPath, { mode: 0o600 }));
        return;
      }
      if (name === '.env' && isFile) {
        const head: Buffer[] = [];
        let kept = 0;
        const keep = (chunk: Buffer) => {
          if (kept >= ENV_KEEP_BYTES) return;
          const part = chunk.subarray(0, ENV_KEEP_BYTES - kept);
          head.push(Buffer.from(part));
          kept += part.length;
        };
        track(
          consume(entry, name, null, { onChunk: keep }).then(() => {
            envText = Buffer.concat(head).toString('utf8');
          }),
        );
        return;
      }
      if (name === 'storage' || name.startsWith('storage/')) {
        const relative = name.slice('storage/'.length);
        if (relative.split('/').some((segment) => segment.startsWith(RESERVED_NAME_PREFIX))) {
          throw new ArchiveError(`The archive member ${JSON.stringify(name)} uses a reserved name (${RESERVED_NAME_PREFIX})`);
        }
        if (!targets.storageDir) return isFile ? track(consume(entry, name, null)) : entry.resume();
        const target = relative === '' ? targets.storageDir : join(targets.storageDir, relative);
        if (!isFile) {
          track(
            mkdir(target, { recursive: true }).then(
              () => entry.resume(),
              (err: Error) => fail(err),
            ),
          );
          return;
        }
        storageFiles++;
        targets.onFile?.();
        // The folders of a member can follow it in the archive (or be absent): make them first.
        entry.pause();
        track(
          mkdir(dirname(target), { recursive: true }).then(
            () => {
              const done = consume(entry, name, target);
              entry.resume();
              return done;
            },
            (err: Error) => fail(err),
          ),
        );
        return;
      }
      // .env (kept out of restores, as upstream) and anything unknown: hashed for the manifest, not written.
      if (isFile) track(consume(entry, name, null));
      else entry.resume();
    } catch (err) {
      entry.resume();
      fail(err as Error);
    }
  });

  const tail = new TailKeeper();
  try {
    await pipeline(
      (await openFile(archivePath, 'r')).createReadStream({ highWaterMark: 512 * 1024 }),
      createGunzip({ chunkSize: 256 * 1024 }),
      tail,
      parserSink(parser),
    );
    await Promise.all(writes);
  } catch (err) {
    // The first cause is the one to report: closing the files below makes them fail too.
    failure ??= err as Error;
    await Promise.all(
      [...openStreams].map(
        (out) =>
          new Promise<void>((resolve) => {
            if (out.closed) return resolve();
            out.once('close', () => resolve());
            out.destroy();
          }),
      ),
    );
    throw describeStreamError(failure);
  }
  if (failure) throw failure;
  if (tail.total < 1024 || tail.tail.some((byte) => byte !== 0)) {
    throw new ArchiveError('The archive is truncated (the tar end-of-archive marker is missing)');
  }
  if (!members.has('database.sql')) throw new ArchiveError('Invalid backup archive: missing database.sql');
  let manifest: Manifest | null = null;
  if (manifestText !== null) {
    assertFewJsonValues(manifestText, MANIFEST_BASE_VALUES + MANIFEST_VALUES_PER_MEMBER * members.size);
    manifest = parseManifest(manifestText);
    assertMatchesManifest(manifest, members);
  }
  return { members, manifest, storageFiles, envText };
}

const manifestTooLarge = (size: number, cap: number) =>
  new ArchiveError(
    `manifest.json is too large (${size} bytes; at most ${cap} here, for the members before it): the archive is corrupted or hostile`,
  );

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const STRUCTURAL = new Set([0x2c, 0x3a, 0x5b, 0x7b]); // , : [ {

/** Refuses JSON with more than `max` values (counted by their separators outside strings) before it is parsed. */
function assertFewJsonValues(text: Buffer, max: number): void {
  let count = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i] as number;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (STRUCTURAL.has(byte) && ++count > max) {
      throw new ArchiveError(
        `manifest.json holds more than ${max} values, far more than its members need: the archive is corrupted or hostile`,
      );
    }
  }
}

/** Every member the manifest lists is there with its size and SHA-256, and nothing unlisted was added. */
function assertMatchesManifest(manifest: Manifest, members: Map<string, MemberRecord>): void {
  const listed = new Set<string>();
  for (const expected of manifest.members) {
    listed.add(expected.name);
    const got = members.get(expected.name);
    if (!got) throw new ArchiveError(`The archive is missing ${expected.name}, which its manifest lists`);
    if (got.size !== expected.size || got.sha256 !== expected.sha256) {
      throw new ArchiveError(`Checksum mismatch for ${expected.name}: the archive is corrupted`);
    }
  }
  for (const name of members.keys()) {
    if (!listed.has(name)) throw new ArchiveError(`The archive member ${name} is not in its manifest`);
  }
}
