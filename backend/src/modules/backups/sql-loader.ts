// Loads a database.sql into a database with psql, through DumpFilter (parameters the server does not know are
// dropped; the dump's meta-commands are fenced off with a \restrict key it cannot guess).
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { DumpFilter } from './dump-scanner.ts';
import { type PgProcess, psqlSupportsRestrict, spawnPsql, type ToolVersion } from './postgres-tools.ts';

export interface SqlLoadOptions {
  pgBinDir: string;
  psqlVersion: ToolVersion;
  knownSettings: ReadonlySet<string>;
  onSkip?: (line: string) => void;
  onBytes?: (bytes: number) => void;
}

/** One psql load that can be aborted (the archive turned out bad while its SQL was already loading). */
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
      restrictKey,
      onSkip: options.onSkip,
      onBytes: options.onBytes,
    });
    const [feed, exit] = await Promise.allSettled([
      pipeline(createReadStream(sqlPath, { highWaterMark: 512 * 1024 }), filter, psql.child.stdin as NodeJS.WritableStream),
      psql.done,
    ]);
    // psql's own message explains a failure better than the EPIPE its early exit causes on the feed.
    if (exit.status === 'rejected') {
      const filterFailed = feed.status === 'rejected' && !/EPIPE|write after end/i.test(String(feed.reason));
      throw filterFailed ? feed.reason : exit.reason;
    }
    if (feed.status === 'rejected') throw feed.reason;
  }

  abort(): void {
    this.aborted = true;
    this.psql?.child.kill('SIGTERM');
  }
}
