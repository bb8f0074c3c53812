// Streaming scanners of plain pg_dump output. Row data (between `COPY … FROM stdin;` and `\.`) flows through in
// bulk; only the other lines (SET, DDL, psql meta-commands) are looked at one by one, so a dump of millions of
// rows costs one indexOf per row and no string conversion.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

const NEWLINE = 10;
const BACKSLASH = 92;
const DOT = 46;
const EMPTY = Buffer.alloc(0);
const COPY_START = /^COPY (.+) FROM stdin;\n?$/;

/** The table of a `COPY <table> (<columns>) FROM stdin;` line as pg_dump prints it (`public.users`), or null. */
export function copyTarget(line: string): string | null {
  const match = COPY_START.exec(line);
  if (!match) return null;
  const text = match[1] as string;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    else if (char === ' ' && !quoted) return text.slice(0, i);
  }
  return text;
}

/** Splits a dump into statement lines (handed to `line`) and COPY row data (passed through and counted). */
abstract class DumpLines extends Transform {
  /** Rows per COPY target, e.g. `{ "public.users": 3 }`. */
  readonly rowCounts = new Map<string, number>();
  private carry: Buffer = EMPTY;
  private copyTable: string | null = null;
  private copyRows = 0;
  private atLineStart = true;

  constructor() {
    super({ highWaterMark: 256 * 1024 });
  }

  /** A whole line outside row data, newline included; returns what to emit (null drops it). */
  protected abstract line(text: string): string | null;

  /** Every input chunk, before scanning (hashing, progress). */
  protected observe(_chunk: Buffer): void {}

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.observe(chunk);
      const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
      this.carry = EMPTY;
      let pos = 0;
      while (pos < buf.length) {
        pos = this.copyTable === null ? this.scanStatements(buf, pos) : this.scanRows(buf, pos);
        if (pos < 0) {
          this.carry = Buffer.from(buf.subarray(-pos - 1));
          break;
        }
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.carry.length) {
        if (this.copyTable === null) this.emitLine(this.carry.toString('utf8'));
        else this.push(this.carry);
      }
      this.carry = EMPTY;
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private emitLine(text: string): void {
    const out = this.line(text);
    if (out !== null) this.push(out);
    // Row data follows only a COPY line that is passed on as it is.
    const table = out === null ? null : copyTarget(out);
    if (table !== null) {
      this.copyTable = table;
      this.copyRows = 0;
      this.atLineStart = true;
    }
  }

  /** Statement lines from `pos`; returns where row data starts, or -(pos+1) to carry an unfinished line. */
  private scanStatements(buf: Buffer, pos: number): number {
    while (pos < buf.length && this.copyTable === null) {
      const newline = buf.indexOf(NEWLINE, pos);
      if (newline === -1) return -pos - 1;
      this.emitLine(buf.toString('utf8', pos, newline + 1));
      pos = newline + 1;
    }
    return pos;
  }

  /** Row data from `pos` up to and including the `\.` line; returns where statements resume (or a carry). */
  private scanRows(buf: Buffer, pos: number): number {
    const start = pos;
    for (;;) {
      if (pos >= buf.length) {
        if (pos > start) this.push(buf.subarray(start, pos));
        return pos;
      }
      if (this.atLineStart) {
        const left = buf.length - pos;
        const isEnd = buf[pos] === BACKSLASH && buf[pos + 1] === DOT && buf[pos + 2] === NEWLINE;
        if (left >= 3 && isEnd) {
          this.push(buf.subarray(start, pos + 3));
          this.rowCounts.set(this.copyTable as string, this.copyRows);
          this.copyTable = null;
          return pos + 3;
        }
        // Fewer than 3 bytes that could still become "\.\n": wait for more input.
        const couldEnd = left < 3 && buf[pos] === BACKSLASH && (left === 1 || buf[pos + 1] === DOT);
        if (couldEnd) {
          if (pos > start) this.push(buf.subarray(start, pos));
          return -pos - 1;
        }
      }
      const newline = buf.indexOf(NEWLINE, pos);
      if (newline === -1) {
        // Part of a long row: pass it on now instead of buffering the whole row.
        this.atLineStart = false;
        if (buf.length > start) this.push(buf.subarray(start));
        return buf.length;
      }
      this.copyRows++;
      this.atLineStart = true;
      pos = newline + 1;
    }
  }
}

/** Passes a dump through unchanged, measuring it: size, SHA-256, and rows per table. */
export class DumpMeter extends DumpLines {
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }

  protected override observe(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    this.onBytes?.(chunk.length);
  }

  protected line(text: string): string {
    return text;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export interface DumpFilterOptions {
  /** Run-time parameters the target server knows (`SELECT name FROM pg_settings`). */
  knownSettings: ReadonlySet<string>;
  /**
   * When set, the output starts with `\restrict <key>` and ends with `\unrestrict <key>`, so psql refuses every
   * meta-command the dump itself carries (`\!` would run a shell command on this machine). Needs psql 15.14+,
   * 16.10+, 17.6+ or 18. When null, any meta-command line in the dump fails the load instead.
   */
  restrictKey: string | null;
  /** The extensions a dump may create with `CREATE EXTENSION`; any other is refused. */
  allowedExtensions: ReadonlySet<string>;
  /** Told about every line left out. */
  onSkip?: (line: string) => void;
  /** Input bytes seen (progress). */
  onBytes?: (bytes: number) => void;
}

/** A statement a restore refuses to run (the load stops; the message says which and why). */
export class RefusedStatementError extends Error {
  override name = 'RefusedStatementError';
}

const SET_LINE = /^SET ([A-Za-z_][A-Za-z0-9_]*) = .*;\n?$/;
const RESTRICT_LINE = /^\\(un)?restrict\b/;
// pg_dump's comment before each object: "-- Name: x; Type: EVENT TRIGGER; Schema: -; Owner: -".
const TOC_HEADER = /^-- (?:Data for )?Name: (.*); Type: ([^;]*); Schema: [^;]*; Owner: .*$/;
const CREATE_EXTENSION = /^CREATE EXTENSION (?:IF NOT EXISTS )?(?:"((?:[^"]|"")+)"|([^\s;]+))/i;
/** Lines that only say who owns what: the restore role owns everything, then hands it to the live owner. */
const OWNERSHIP_LINES = [
  /^ALTER .+ OWNER TO .+;\s*$/i,
  /^(SET|RESET) SESSION AUTHORIZATION\b/i,
  /^ALTER DEFAULT PRIVILEGES FOR (ROLE|USER) .+;\s*$/i,
];
/** Statements (to the next line ending in `;`) that need a superuser; the restore recreates event triggers itself. */
const SUPERUSER_STATEMENTS = /^((CREATE|ALTER|DROP) EVENT TRIGGER|COMMENT ON (EXTENSION|EVENT TRIGGER))\b/i;
const REFUSED: [RegExp, string][] = [
  [/^(CREATE|ALTER|DROP) (ROLE|USER|GROUP)\b/i, 'changes database roles'],
  [/^ALTER SYSTEM\b/i, 'changes the server configuration (ALTER SYSTEM)'],
  [/^ALTER DATABASE\b/i, 'changes database settings (ALTER DATABASE)'],
  [/^COPY\b.*\b(TO|FROM)\s+PROGRAM\b/i, 'runs a program on the server (COPY ... PROGRAM)'],
  [/^COPY\b.*\b(TO|FROM)\s+'/i, 'reads or writes a file on the server (COPY ... TO/FROM a file)'],
];

/**
 * Prepares a dump for the psql of this machine, the server it loads into and the unprivileged role that loads it:
 * drops `SET` of parameters the server does not know (pg_dump 17+ writes `SET transaction_timeout = 0;`, which
 * Postgres 15/16 reject), replaces the dump's own `\restrict` guard with one whose key the dump cannot know,
 * leaves out what only a superuser may run and a legitimate dump holds anyway (ownership, event triggers, comments
 * on extensions), and refuses what a SelfDB dump never holds (roles, server settings, programs, server files,
 * extensions other than the allowed ones). Left-out lines become empty lines, so psql's line numbers stay those of
 * database.sql (plus one for the `\restrict` line).
 */
export class DumpFilter extends DumpLines {
  private started = false;
  /** In a pg_dump entry that is left out whole (until the next entry's header). */
  private skippingEntry = false;
  /** In a statement that is left out (until a line ending in `;`). */
  private skippingStatement = false;

  constructor(private readonly options: DumpFilterOptions) {
    super();
  }

  protected override observe(chunk: Buffer): void {
    if (!this.started) {
      this.started = true;
      if (this.options.restrictKey) this.push(`\\restrict ${this.options.restrictKey}\n`);
    }
    this.options.onBytes?.(chunk.length);
  }

  private skip(text: string): string {
    this.options.onSkip?.(text.trimEnd().slice(0, 200));
    return '\n';
  }

  protected line(text: string): string | null {
    const header = TOC_HEADER.exec(text.trimEnd());
    if (header) {
      const [, name = '', type = ''] = header;
      this.skippingEntry = type === 'EVENT TRIGGER' || (type === 'COMMENT' && /^(EXTENSION|EVENT TRIGGER) /.test(name));
      this.skippingStatement = false;
      if (this.skippingEntry) this.options.onSkip?.(`${type} ${name}`);
      return text;
    }
    if (this.skippingEntry) return '\n';
    if (this.skippingStatement) {
      if (/;\s*$/.test(text)) this.skippingStatement = false;
      return '\n';
    }
    if (RESTRICT_LINE.test(text)) {
      // Replaced by our own key; without one (an older psql) the line would be an unknown command.
      if (!this.options.restrictKey) this.options.onSkip?.(text.trimEnd());
      return '\n';
    }
    if (text.startsWith('\\') && !this.options.restrictKey) {
      throw new RefusedStatementError(
        `database.sql contains the psql meta-command ${JSON.stringify(text.trimEnd().slice(0, 40))}, which is refused`,
      );
    }
    const set = SET_LINE.exec(text);
    if (set && !this.options.knownSettings.has((set[1] as string).toLowerCase())) return this.skip(text);
    if (OWNERSHIP_LINES.some((pattern) => pattern.test(text))) return this.skip(text);
    if (SUPERUSER_STATEMENTS.test(text)) {
      this.skippingStatement = !/;\s*$/.test(text);
      return this.skip(text);
    }
    const extension = CREATE_EXTENSION.exec(text);
    if (extension) {
      const name = extension[1]?.replace(/""/g, '"') ?? (extension[2] as string);
      if (!this.options.allowedExtensions.has(name)) {
        throw new RefusedStatementError(
          `database.sql creates the extension ${JSON.stringify(name)}: a restore may create only ${[...this.options.allowedExtensions].join(', ')}`,
        );
      }
    }
    for (const [pattern, what] of REFUSED) {
      if (pattern.test(text)) {
        throw new RefusedStatementError(
          `database.sql ${what}, which a restore refuses: ${JSON.stringify(text.trimEnd().slice(0, 80))}`,
        );
      }
    }
    return text;
  }

  override _flush(done: TransformCallback): void {
    super._flush((err) => {
      if (err) return done(err);
      if (!this.started && this.options.restrictKey) this.push(`\\restrict ${this.options.restrictKey}\n`);
      if (this.options.restrictKey) this.push(`\n\\unrestrict ${this.options.restrictKey}\n`);
      done();
    });
  }
}
