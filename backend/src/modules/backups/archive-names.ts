// Archive file names: `selfdb_backup_YYYYMMDD_HHMMSS[_suffix].tar.gz`, the timestamp in the server's local time as
// SelfDB 0.0.5 wrote it. The name is the archive's identity in the API, so it is parsed strictly.

const LISTED_NAME = /^selfdb_backup_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?:_([A-Za-z0-9_-]+))?\.tar\.gz$/;
/** What `backup_now.sh --name` and the API accept as a suffix. */
export const SUFFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface ParsedArchiveName {
  createdAt: Date;
  /** The `_suffix` of a named (CLI) backup; null for scheduled and API backups. */
  suffix: string | null;
}

/** The timestamp and suffix of an archive name, or null when the name is not one SelfDB writes. */
export function parseArchiveName(name: string): ParsedArchiveName | null {
  const match = LISTED_NAME.exec(name);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const createdAt = new Date(year, month - 1, day, hour, minute, second);
  // new Date() rolls 20251341 over into another month: such a name is not a timestamp.
  if (
    createdAt.getFullYear() !== year ||
    createdAt.getMonth() !== month - 1 ||
    createdAt.getDate() !== day ||
    createdAt.getHours() !== hour ||
    createdAt.getMinutes() !== minute
  ) {
    return null;
  }
  return { createdAt, suffix: match[7] ?? null };
}

const pad = (value: number) => String(value).padStart(2, '0');

/** `selfdb_backup_20251205_143022[_suffix].tar.gz` for `date` in local time. */
export function archiveName(date: Date, suffix?: string | null): string {
  const stamp =
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}_` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  return `selfdb_backup_${stamp}${suffix ? `_${suffix}` : ''}.tar.gz`;
}

/**
 * Names the download and delete routes accept: SelfDB 0.0.5's rule (prefix, `.tar.gz`, no `/`, `\` or `..`),
 * narrowed to plain characters, so a name can never leave the backups folder.
 */
export function isArchiveFileName(name: string): boolean {
  return /^selfdb_backup_[A-Za-z0-9_.-]*\.tar\.gz$/.test(name) && !name.includes('..');
}
