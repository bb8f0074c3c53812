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
    const table = copyTarget(text);
    if (table !== null && out !== null) {
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
  /** Told about every line left out. */
  onSkip?: (line: string) => void;
  /** Input bytes seen (progress). */
  onBytes?: (bytes: number) => void;
}

const SET_LINE = /^SET ([A-Za-z_][A-Za-z0-9_]*) = .*;\n?$/;
const RESTRICT_LINE = /^\\(un)?restrict\b/;

/**
 * Prepares a dump for the psql of this machine and the server it loads into: drops `SET` of parameters the
 * server does not know (pg_dump 17+ writes `SET transaction_timeout = 0;`, which Postgres 15/16 reject), and
 * replaces the dump's own `\restrict` guard with one whose key the dump cannot know.
 */
export class DumpFilter extends DumpLines {
  private started = false;

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

  protected line(text: string): string | null {
    if (RESTRICT_LINE.test(text)) {
      // Replaced by our own key; without one (an older psql) the line would be an unknown command.
      if (!this.options.restrictKey) this.options.onSkip?.(text.trimEnd());
      return null;
    }
    if (text.startsWith('\\') && !this.options.restrictKey) {
      throw new Error(
        `database.sql contains the psql meta-command ${JSON.stringify(text.trimEnd().slice(0, 40))}, which is refused`,
      );
    }
    const set = SET_LINE.exec(text);
    if (set && !this.options.knownSettings.has((set[1] as string).toLowerCase())) {
      this.options.onSkip?.(text.trimEnd());
      return null;
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
