// pg_dump and psql of this machine, run against the direct (not pooled) database URL. The password goes in the
// child's environment (PGPASSWORD), never on its command line, where `ps` would show it.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const STDERR_KEEP = 16 * 1024;

/** Runs `work` on a fresh direct connection to `url`, closed afterwards whatever happens. */
export async function withClient<T>(
  url: string,
  applicationName: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The database name of a connection URL. */
export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** The URL without its password, and the environment that carries the password instead. */
function connection(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const env: NodeJS.ProcessEnv = { ...process.env, PGCONNECT_TIMEOUT: '10' };
  if (password) env.PGPASSWORD = password;
  // A stray PGDATABASE/PGSERVICE of the caller must not redirect the tools.
  delete env.PGSERVICE;
  delete env.PGDATABASE;
  return { url: parsed.toString(), env };
}

const tool = (binDir: string, name: string) => (binDir ? join(binDir, name) : name);

/** A pg_dump/psql failure: the message holds the first error line only; `output` keeps the stderr tail for logs. */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    message: string,
    /** The tool's stderr (its last 16 KiB): for the server log, never for clients. */
    readonly output: string,
    /** psql: the input line of the error (`psql:<stdin>:LINE: ERROR: ...`); null when none is given. */
    readonly inputLine: number | null,
  ) {
    super(message);
  }
}

/**
 * The line of a tool's stderr that says what failed (`ERROR:`/`FATAL:`, else the first line), without psql's
 * `psql:<stdin>:N:` prefix, whose N is returned apart.
 */
export function firstErrorLine(output: string): { text: string; line: number | null } {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const found = lines.find((line) => /\b(ERROR|FATAL|PANIC):/i.test(line)) ?? lines[0];
  if (!found) return { text: 'no message', line: null };
  const prefix = /^psql:[^:]*:(\d+): /.exec(found);
  return {
    text: (prefix ? found.slice(prefix[0].length) : found).replace(/\s+/g, ' '),
    line: prefix ? Number(prefix[1]) : null,
  };
}

/** A running pg_dump/psql whose stderr tail is kept for the error message. */
export interface PgProcess {
  child: ChildProcess;
  /** Resolves when the tool exited 0; rejects with a ToolError otherwise. */
  done: Promise<void>;
}

function track(child: ChildProcess, what: string): PgProcess {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_KEEP);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'ENOENT'
            ? `${what} was not found: install the PostgreSQL client tools, or set PG_CLIENT_BIN_DIR`
            : `${what} could not start: ${err.message}`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const first = firstErrorLine(stderr);
      reject(new ToolError(`${what} failed (${signal ?? `exit ${code}`}): ${first.text}`, stderr, first.line));
    });
  });
  return { child, done };
}

/**
 * Plain-SQL dump of the database at `url` to stdout, in upstream's format (restorable by SelfDB 0.0.5 too). The
 * rows of the realtime outbox are left out: they are change events already delivered or about to expire, which
 * must not be replayed after a restore; its sequence is kept, so event numbers never go back.
 */
export function spawnPgDump(binDir: string, url: string): PgProcess {
  const target = connection(url);
  const args = [
    '--format=plain',
    '--clean',
    '--if-exists',
    '--no-owner',
    '--no-privileges',
    '--encoding=UTF8',
    '--exclude-table-data=realtime.changes',
    `--dbname=${target.url}`,
  ];
  return track(
    spawn(tool(binDir, 'pg_dump'), args, { env: target.env, stdio: ['ignore', 'pipe', 'pipe'] }),
    'pg_dump',
  );
}

/** psql reading SQL from stdin into the database at `url`, stopping at the first error. */
export function spawnPsql(binDir: string, url: string): PgProcess {
  const target = connection(url);
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-password', `--dbname=${target.url}`, '-f', '-'];
  return track(
    spawn(tool(binDir, 'psql'), args, { env: target.env, stdio: ['pipe', 'ignore', 'pipe'] }),
    'psql',
  );
}

export interface ToolVersion {
  text: string;
  major: number;
  minor: number;
}

/** `pg_dump --version` / `psql --version` parsed. */
export async function toolVersion(binDir: string, name: 'pg_dump' | 'psql'): Promise<ToolVersion> {
  try {
    const { stdout } = await run(tool(binDir, name), ['--version']);
    const match = /(\d+)(?:\.(\d+))?/.exec(stdout);
    return { text: stdout.trim(), major: Number(match?.[1] ?? 0), minor: Number(match?.[2] ?? 0) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${name} was not found: install the PostgreSQL client tools, or set PG_CLIENT_BIN_DIR`
        : `${name} --version failed: ${(err as Error).message}`,
    );
  }
}

/** psql learnt `\restrict` in the August 2025 minor releases (13.22, 14.19, 15.14, 16.10, 17.6) and in 18. */
export function psqlSupportsRestrict(version: Pick<ToolVersion, 'major' | 'minor'>): boolean {
  const firstMinor: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };
  if (version.major >= 18) return true;
  const needed = firstMinor[version.major];
  return needed !== undefined && version.minor >= needed;
}
