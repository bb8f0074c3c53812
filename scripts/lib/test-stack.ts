import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DB_ROLES } from '@selfdb/common';
import pg from 'pg';
import {
  asServiceUser,
  chownToServiceUser,
  findPgBouncer,
  findPostgresBin,
  freePort,
  run,
  startDaemon,
  stopProcess,
} from './processes.ts';

export const TEST_DB_USER = 'postgres';
export const TEST_DB_PASSWORD = 'selfdb-test';

export interface TestStack {
  postgresPort: number;
  pgbouncerPort: number;
  /** Direct connection URL to `db` (migrations, admin statements). */
  directUrl(db: string): string;
  /** URL through PgBouncer in transaction mode, as the superuser (the backend's requests log in as selfdb_app). */
  pooledUrl(db: string): string;
  /** Stops Postgres with `signal` (SIGINT: fast shutdown) and starts it again on the same port and data. */
  restartPostgres(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

async function waitForConnection(url: string, what: string, log: () => string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline)
        throw new Error(`${what} did not accept connections: ${(err as Error).message}\n${log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Starts a throwaway Postgres cluster and a PgBouncer (transaction mode) in front of it, on free ports of
 * 127.0.0.1, as the `postgres` OS user when running as root. `stop()` ends both and deletes every file.
 */
export async function startTestStack(repoRoot: string): Promise<TestStack> {
  const bin = findPostgresBin(repoRoot);
  const pgbouncer = findPgBouncer();
  if (!pgbouncer) throw new Error('PgBouncer is not installed: apt-get install -y pgbouncer');
  const dir = mkdtempSync(join(tmpdir(), 'selfdb-test-'));
  const dataDir = join(dir, 'data');
  writeFileSync(join(dir, 'pwfile'), `${TEST_DB_PASSWORD}\n`);
  chownToServiceUser(dir);
  const [initCmd, initArgs] = asServiceUser(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    TEST_DB_USER,
    `--pwfile=${join(dir, 'pwfile')}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  run(initCmd, initArgs);

  const postgresPort = await freePort();
  let postgresLog = '';
  const startPostgres = () => {
    const daemon = startDaemon(join(bin, 'postgres'), [
      '-D',
      dataDir,
      '-p',
      String(postgresPort),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=500',
    ]);
    daemon.stderr?.on('data', (chunk) => {
      postgresLog = (postgresLog + chunk).slice(-4000);
    });
    return daemon;
  };
  let postgres = startPostgres();

  const pgbouncerPort = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  // SelfDB's login roles share the superuser's password (the migration runner sets it).
  writeFileSync(
    join(dir, 'userlist.txt'),
    [TEST_DB_USER, DB_ROLES.app].map((user) => `"${user}" "${TEST_DB_PASSWORD}"\n`).join(''),
  );
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=127.0.0.1 port=${postgresPort}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${pgbouncerPort}`,
      `unix_socket_dir = ${dir}`,
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 2000',
      'default_pool_size = 40',
      'ignore_startup_parameters = extra_float_digits,options',
      // As shipped (pgbouncer/entrypoint.sh, scripts/native/native.sh): every server connection is reset after each
      // transaction, so no session state left by code a transaction ran reaches the next one.
      'server_reset_query = DISCARD ALL',
      'server_reset_query_always = 1',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  chownToServiceUser(dir);
  const bouncer = startDaemon(pgbouncer, [ini]);
  let bouncerLog = '';
  bouncer.stderr?.on('data', (chunk) => {
    bouncerLog = (bouncerLog + chunk).slice(-4000);
  });

  const url = (port: number, db: string) =>
    `postgresql://${TEST_DB_USER}:${TEST_DB_PASSWORD}@127.0.0.1:${port}/${db}`;
  const stack: TestStack = {
    postgresPort,
    pgbouncerPort,
    directUrl: (db) => url(postgresPort, db),
    pooledUrl: (db) => url(pgbouncerPort, db),
    async restartPostgres(signal = 'SIGINT') {
      await stopProcess(postgres, signal);
      postgres = startPostgres();
      await waitForConnection(stack.directUrl('postgres'), 'Postgres', () => postgresLog);
    },
    async stop() {
      await stopProcess(bouncer, 'SIGINT');
      await stopProcess(postgres, 'SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForConnection(stack.directUrl('postgres'), 'Postgres', () => postgresLog);
    await waitForConnection(stack.pooledUrl('postgres'), 'PgBouncer', () => bouncerLog);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}
