// Loads a database.sql into a database with psql, through DumpFilter (parameters the server does not know are
// dropped, statements only a superuser may run are left out or refused, and the dump's meta-commands are fenced
// off with a \restrict key it cannot guess). The caller connects psql as an unprivileged role (staging.ts).
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { DumpFilter, RefusedStatementError } from './dump-scanner.ts';
import { type PgProcess, psqlSupportsRestrict, spawnPsql, ToolError, type ToolVersion } from './postgres-tools.ts';

export interface SqlLoadOptions {
  pgBinDir: string;
  psqlVersion: ToolVersion;
  knownSettings: ReadonlySet<string>;
  allowedExtensions: ReadonlySet<string>;
  onSkip?: (line: string) => void;
  onBytes?: (bytes: number) => void;
}

/** psql failed on a statement of database.sql: `line` is its line in database.sql (null when unknown). */
export class SqlLoadError extends Error {
  override name = 'SqlLoadError';
  constructor(
    message: string,
    readonly line: number | null,
    /** psql's stderr, for the server log only. */
    readonly output: string,
  ) {
    super(message);
  }
}

/** One psql load that can be aborted. */
export class SqlLoad {
  readonly done: Promise<void>;
  private psql: PgProcess | null = null;
  private aborted = false;

  constructor(url: string, sqlPath: string, options: SqlLoadOptions) {
    this.done = this.run(url, sqlPath, options);
    // Awaited later; until then a failure must not count as unhandled.
    this.done.catch(() => {});
  }

  private async run(url: string, sqlPath: string, options: SqlLoadOptions): Promise<void> {
    const restrictKey = psqlSupportsRestrict(options.psqlVersion) ? randomBytes(24).toString('hex') : null;
    const psql = spawnPsql(options.pgBinDir, url);
    this.psql = psql;
    if (this.aborted) psql.child.kill('SIGTERM');
    const filter = new DumpFilter({
      knownSettings: options.knownSettings,
      allowedExtensions: options.allowedExtensions,
      restrictKey,
      onSkip: options.onSkip,
      onBytes: options.onBytes,
    });
    const [feed, exit] = await Promise.allSettled([
      pipeline(createReadStream(sqlPath, { highWaterMark: 512 * 1024 }), filter, psql.child.stdin as NodeJS.WritableStream),
      psql.done,
    ]);
    // A statement the filter refused stopped the feed; psql then fails on the cut input or not at all.
    if (feed.status === 'rejected' && feed.reason instanceof RefusedStatementError) throw feed.reason;
    // psql's own message explains a failure better than the EPIPE its early exit causes on the feed.
    if (exit.status === 'rejected') {
      const filterFailed = feed.status === 'rejected' && !/EPIPE|write after end/i.test(String(feed.reason));
      if (filterFailed) throw feed.reason;
      const reason = exit.reason as Error;
      if (!(reason instanceof ToolError)) throw reason;
      // Line 1 of psql's input is our \restrict line; left-out lines are kept as empty lines.
      const line = reason.inputLine === null ? null : reason.inputLine - (restrictKey ? 1 : 0);
      const where = line === null ? '' : ` (database.sql line ${line})`;
      throw new SqlLoadError(`${reason.message.replace(/^psql failed \([^)]*\): /, '')}${where}`, line, reason.output);
    }
    if (feed.status === 'rejected') throw feed.reason;
  }

  abort(): void {
    this.aborted = true;
    this.psql?.child.kill('SIGTERM');
  }
}
