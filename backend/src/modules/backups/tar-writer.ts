// Writes a tar stream member by member with node-tar's header encoder. Members are read from disk while they are
// written (never held whole in memory) and hashed on the way, for the manifest.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Header, Pax } from 'tar';

const BLOCK = 512;
const READ_CHUNK = 512 * 1024;

export interface MemberRecord {
  name: string;
  size: number;
  sha256: string;
}

export type TarMember =
  | { kind: 'directory'; name: string; mtime: Date }
  | {
      kind: 'file';
      name: string;
      mtime: Date;
      mode?: number;
      /** The open file: exactly `size` bytes are archived (zeros pad a file that shrank meanwhile). */
      handle: FileHandle;
      size: number;
      /** Known already (database.sql was hashed while pg_dump wrote it): skips hashing again. */
      sha256?: string;
    }
  | { kind: 'buffer'; name: string; mtime: Date; data: Buffer };

function headerBlocks(name: string, type: 'File' | 'Directory', size: number, mtime: Date, mode: number) {
  const fields = { path: name, mode, size, mtime, type, uid: 0, gid: 0, uname: '', gname: '' } as const;
  const header = new Header(fields);
  // encode() answers true when a field (a long or non-ASCII path) does not fit: a PAX record carries it then.
  const needsPax = header.encode();
  const blocks: Buffer[] = [];
  if (needsPax) blocks.push(new Pax({ path: name, size, mtime }).encode());
  blocks.push(header.block as Buffer);
  return Buffer.concat(blocks);
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

export interface TarWriteHooks {
  /** After each member, with its size and SHA-256 (directories are not reported). */
  onMember?: (record: MemberRecord) => void;
  onBytes?: (bytes: number) => void;
  onShortFile?: (name: string, expected: number, got: number) => void;
}

/** Yields the tar stream of `members` (then the end-of-archive blocks); closes each file handle it reads. */
export async function* tarStream(members: AsyncIterable<TarMember>, hooks: TarWriteHooks = {}) {
  for await (const member of members) {
    if (member.kind === 'directory') {
      const name = member.name.endsWith('/') ? member.name : `${member.name}/`;
      yield headerBlocks(name, 'Directory', 0, member.mtime, 0o755);
      continue;
    }
    if (member.kind === 'buffer') {
      yield headerBlocks(member.name, 'File', member.data.length, member.mtime, 0o644);
      yield member.data;
      yield padding(member.data.length);
      hooks.onBytes?.(member.data.length);
      hooks.onMember?.({
        name: member.name,
        size: member.data.length,
        sha256: createHash('sha256').update(member.data).digest('hex'),
      });
      continue;
    }
    const { handle, size } = member;
    try {
      yield headerBlocks(member.name, 'File', size, member.mtime, member.mode ?? 0o644);
      const hash = member.sha256 ? null : createHash('sha256');
      let done = 0;
      while (done < size) {
        const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - done));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, done);
        if (bytesRead === 0) {
          // The file shrank after its size went into the header: keep the archive valid.
          hooks.onShortFile?.(member.name, size, done);
          const zeros = Buffer.alloc(size - done);
          hash?.update(zeros);
          yield zeros;
          done = size;
          break;
        }
        const chunk = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
        hash?.update(chunk);
        done += bytesRead;
        hooks.onBytes?.(bytesRead);
        yield chunk;
      }
      yield padding(size);
      hooks.onMember?.({ name: member.name, size, sha256: member.sha256 ?? (hash as ReturnType<typeof createHash>).digest('hex') });
    } finally {
      await handle.close().catch(() => {});
    }
  }
  yield Buffer.alloc(BLOCK * 2);
}
