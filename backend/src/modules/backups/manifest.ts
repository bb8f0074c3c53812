// manifest.json: what an archive holds and where it comes from, written last into every archive SelfDB makes.
// SelfDB 0.0.5 archives have none; restores accept them without, and check everything listed when there is one.
import { ArchiveError } from './archive-error.ts';
import type { MemberRecord } from './tar-writer.ts';

export const MANIFEST_FORMAT = 'selfdb-backup';
export const MANIFEST_VERSION = 1;

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  format_version: number;
  selfdb_version: string;
  /** The last migration applied to the database when it was dumped (null: none, e.g. not a SelfDB schema). */
  migration_level: string | null;
  postgres_version: string;
  pg_dump_version: string;
  database: string;
  created_at: string;
  /** What asked for it: `api`, `schedule` or `cli`. */
  trigger: string;
  /** Rows per table in database.sql, keyed as pg_dump names them (`public.users`). */
  tables: Record<string, number>;
  storage: { files: number; bytes: number };
  /** Every file member except manifest.json itself. */
  members: MemberRecord[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Parses and shape-checks manifest.json; a malformed one makes the archive unusable. */
export function parseManifest(text: Buffer): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text.toString('utf8'));
  } catch {
    throw new ArchiveError('manifest.json is not valid JSON: the archive is corrupted');
  }
  const bad = (what: string) => new ArchiveError(`manifest.json is malformed: ${what}`);
  if (!isRecord(value) || value.format !== MANIFEST_FORMAT) throw bad('not a SelfDB backup manifest');
  if (!isCount(value.format_version) || value.format_version > MANIFEST_VERSION) {
    throw bad(`format_version ${String(value.format_version)} is newer than this SelfDB understands`);
  }
  if (!Array.isArray(value.members)) throw bad('members is not a list');
  for (const member of value.members as unknown[]) {
    if (
      !isRecord(member) ||
      typeof member.name !== 'string' ||
      !isCount(member.size) ||
      typeof member.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(member.sha256)
    ) {
      throw bad('a member is not {name, size, sha256}');
    }
  }
  if (!isRecord(value.tables) || !Object.values(value.tables).every(isCount)) {
    throw bad('tables is not a map of row counts');
  }
  return value as unknown as Manifest;
}
