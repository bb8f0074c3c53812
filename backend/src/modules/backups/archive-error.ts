/** The archive is unusable (corrupt, unsafe, incomplete): the message says why, and nothing live was changed. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

/** Restoring failed after the archive checked out (its SQL failed, a migration failed, a swap step failed). */
export class RestoreError extends Error {
  override name = 'RestoreError';
}
