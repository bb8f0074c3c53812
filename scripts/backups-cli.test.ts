// backup_now.sh, restore_from_backup.sh and ./selfdb.sh backup-verify for real in native mode: a stack started
// by ./selfdb.sh in a temp SELFDB_HOME on free ports, archives in a temp BACKUPS_DIR. Every process the scripts
// started is stopped (and, failing that, killed by pid) in `after`, even when an assertion fails.
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/processes.ts';
import { liveCommandLine, parseEnvFile, runScript } from './lib/run-script.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

describe('backup_now.sh and restore_from_backup.sh (native mode)', () => {
  const home = mkdtempSync(join(tmpdir(), 'selfdb-backups-cli-'));
  const backupsDir = join(home, 'backups');
  const storageDir = join(home, 'storage');
  const envFile = join(home, 'env');
  const runDir = join(home, 'state', 'run');
  const recorded = new Map<number, string>();
  let env: NodeJS.ProcessEnv = {};
  let apiKey = '';
  let backendPort = 0;
  let archive = '';
  let startOutput = '';
  const user = {
    email: 'cli-user@example.com',
    password: 'CliUser12345',
    firstName: 'Cli',
    lastName: 'User',
  };

  const script = (name: string, args: string[], timeoutMs?: number) => runScript(name, args, env, timeoutMs);
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${backendPort}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...init.headers },
      signal: AbortSignal.timeout(10_000),
    });
  const loginStatus = async () =>
    (
      await api('/users/token', {
        method: 'POST',
        body: JSON.stringify({ email: user.email, password: user.password }),
      })
    ).status;
  const recordPids = () => {
    for (const name of existsSync(runDir) ? readdirSync(runDir) : []) {
      if (!name.endsWith('.pid')) continue;
      const pid = Number(readFileSync(join(runDir, name), 'utf8').trim());
      const commandLine = liveCommandLine(pid);
      if (commandLine) recorded.set(pid, commandLine);
    }
  };

  before(async () => {
    // The servers run as the postgres user when this runs as root: it must be able to reach the state folder.
    chmodSync(home, 0o755);
    const ports = new Set<number>();
    while (ports.size < 5) ports.add(await freePort());
    const [backend = 0, db = 0, pgbouncer = 0, realtime = 0, storage = 0] = ports;
    backendPort = backend;
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) =>
          !key.startsWith('SELFDB_') &&
          !/^(DATABASE_URL|DIRECT_DATABASE_URL|PG_BIN|PGBOUNCER_BIN)$/.test(key),
      ),
    );
    for (const key of Object.keys(parseEnvFile(join(root, '.env.example')))) delete inherited[key];
    env = {
      ...inherited,
      SELFDB_MODE: 'native',
      SELFDB_HOME: join(home, 'state'),
      SELFDB_ENV_FILE: envFile,
      BACKEND_PORT: String(backend),
      DB_PORT: String(db),
      PGBOUNCER_PORT: String(pgbouncer),
      REALTIME_INTERNAL_PORT: String(realtime),
      STORAGE_INTERNAL_PORT: String(storage),
      BACKUPS_DIR: backupsDir,
      STORAGE_PATH: storageDir,
      LOG_LEVEL: 'warn',
    };
    const keys = await script('generate_keys.sh', ['--yes']);
    assert.equal(keys.code, 0, keys.stderr);
    apiKey = parseEnvFile(envFile).API_KEY ?? '';
    const started = await script('selfdb.sh', ['start'], 90_000);
    recordPids();
    assert.equal(started.code, 0, `start failed:\n${started.stdout}\n${started.stderr}`);
    startOutput = started.stdout;
    const created = await api('/users/', { method: 'POST', body: JSON.stringify(user) });
    assert.equal(created.status, 201);
    mkdirSync(join(storageDir, 'cli-bucket', 'nested'), { recursive: true });
    writeFileSync(join(storageDir, 'cli-bucket', 'nested', 'kept.txt'), 'bytes that must come back\n');
  });

  after(async () => {
    recordPids();
    await script('selfdb.sh', ['stop'], 90_000).catch(() => undefined);
    for (const [pid, commandLine] of recorded) {
      if (liveCommandLine(pid) === commandLine) process.kill(pid, 'SIGKILL');
    }
    rmSync(home, { recursive: true, force: true });
  });

  test('start prints the fresh install’s one-time restore token, which the API asks for', async () => {
    const token = /one-time token (\S+)/.exec(startOutput)?.[1];
    assert.ok(token, startOutput);
    const file = join(home, 'state', 'restore-token');
    assert.equal(readFileSync(file, 'utf8').trim(), token);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const restore = (headers: Record<string, string>) => {
      const form = new FormData();
      form.append('file', new Blob(['not an archive']), 'x.tar.gz');
      return fetch(`http://127.0.0.1:${backendPort}/backups/restore`, {
        method: 'POST',
        body: form,
        headers: { 'x-api-key': apiKey, ...headers },
        signal: AbortSignal.timeout(10_000),
      });
    };
    assert.equal((await restore({})).status, 401);
    assert.equal((await restore({ 'x-restore-token': 'guess' })).status, 401);
    // The right token gets as far as reading the (bad) archive: nothing changes.
    const accepted = await restore({ 'x-restore-token': token });
    assert.equal(accepted.status, 400);
    assert.equal(((await accepted.json()) as { code: string }).code, 'BACKUP_INVALID');
  });

  test('--help of both scripts prints the usage and exits 0; an unknown option exits 2', async () => {
    for (const name of ['backup_now.sh', 'restore_from_backup.sh']) {
      const help = await script(name, ['--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`^Usage: \\./${name.replace('.', '\\.')}`, 'm'));
      const unknown = await script(name, ['--frobnicate']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown option '--frobnicate'/);
    }
  });

  test('backup_now.sh --name: step-by-step progress, a summary, and the archive in BACKUPS_DIR', async () => {
    const result = await script('backup_now.sh', ['--name', 'first']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Step 1\/2 Dumping the database/);
    assert.match(result.stdout, /Step 2\/2 Writing the archive/);
    const name = /Backup created: (selfdb_backup_\d{8}_\d{6}_first\.tar\.gz)/.exec(result.stdout)?.[1];
    assert.ok(name, result.stdout);
    assert.match(result.stdout, /size: +\d/);
    assert.match(result.stdout, /duration: +\d+\.\ds/);
    assert.match(result.stdout, /1 storage files/);
    archive = join(backupsDir, name);
    assert.ok(existsSync(archive));
    const listed = await script('backup_now.sh', ['--list']);
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, new RegExp(`^${name}\\s+\\d`, 'm'));
    assert.match(listed.stdout, /1 backup\(s\)/);
  });

  test('./selfdb.sh backup-verify: a good archive is OK, a damaged one is reported and exits 1', async () => {
    const good = await script('selfdb.sh', ['backup-verify', archive]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /OK: the archive restores completely\./);
    assert.match(good.stdout, /public\.users: 2 rows \(manifest: 2\)/);
    // As for a restore: `latest` and a bare backup name find the archive in the backups folder.
    for (const name of ['latest', archive.split('/').pop() as string]) {
      const found = await script('selfdb.sh', ['backup-verify', name]);
      assert.equal(found.code, 0, `${name}: ${found.stdout}${found.stderr}`);
      assert.match(found.stdout, new RegExp(`Verifying ${archive.replace(/[.]/g, '\\.')}`));
      assert.match(found.stdout, /OK: the archive restores completely\./);
    }
    const missing = await script('selfdb.sh', ['backup-verify', 'selfdb_backup_19990101_000000.tar.gz']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such archive/);
    const damaged = join(home, 'damaged.tar.gz');
    writeFileSync(damaged, readFileSync(archive).subarray(0, 4000));
    const bad = await script('selfdb.sh', ['backup-verify', damaged]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /PROBLEM: The archive is truncated/);
  });

  test('restore_from_backup.sh without arguments lists the backups; without --yes and no terminal it refuses', async () => {
    const listing = await script('restore_from_backup.sh', []);
    assert.equal(listing.code, 0);
    assert.match(listing.stdout, /selfdb_backup_\d{8}_\d{6}_first\.tar\.gz/);
    assert.match(listing.stdout, /^Usage: \.\/restore_from_backup\.sh/m);
    const refused = await script('restore_from_backup.sh', ['latest']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /without confirmation.*--yes/);
  });

  test('a corrupt archive is refused before any service is stopped; the data is unchanged', async () => {
    copyFileSync(join(home, 'damaged.tar.gz'), join(backupsDir, 'selfdb_backup_20200101_000000_bad.tar.gz'));
    writeFileSync(join(storageDir, 'cli-bucket', 'added-later.txt'), 'new');
    const pids = readdirSync(runDir).map((name) => readFileSync(join(runDir, name), 'utf8').trim());
    const result = await script(
      'restore_from_backup.sh',
      ['selfdb_backup_20200101_000000_bad.tar.gz', '--yes'],
      120_000,
    );
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /The archive is truncated/);
    assert.match(result.stderr, /the archive cannot be restored \(see above\); nothing was changed/);
    assert.doesNotMatch(result.stdout, /Stopping/);
    assert.deepEqual(
      readdirSync(runDir).map((name) => readFileSync(join(runDir, name), 'utf8').trim()),
      pids,
      'the same processes still run',
    );
    assert.equal((await api('/health')).status, 200);
    assert.equal(await loginStatus(), 200);
    assert.ok(existsSync(join(storageDir, 'cli-bucket', 'added-later.txt')));
  });

  test('restore_from_backup.sh latest --yes: changes after the backup are gone, the services are back', async () => {
    // The damaged archive is the oldest by name; "latest" is the good one.
    const admin = parseEnvFile(envFile);
    const token = (await (
      await api('/users/token', {
        method: 'POST',
        body: JSON.stringify({ email: admin.ADMIN_EMAIL, password: admin.ADMIN_PASSWORD }),
      })
    ).json()) as { access_token: string };
    const users = (await (
      await api('/users/', { headers: { authorization: `Bearer ${token.access_token}` } })
    ).json()) as {
      id: string;
      email: string;
    }[];
    const id = users.find((u) => u.email === user.email)?.id;
    const deleted = await api(`/users/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    assert.equal(deleted.status, 200);
    assert.equal(await loginStatus(), 401);
    rmSync(join(storageDir, 'cli-bucket', 'nested', 'kept.txt'));

    const result = await script('restore_from_backup.sh', ['latest', '--yes'], 120_000);
    recordPids();
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Archive OK: .*manifest checksums match/);
    assert.match(result.stdout, /Stopping the services that write: .*backend/);
    assert.match(result.stdout, /Step 1\/4 Checking and extracting the archive/);
    assert.match(result.stdout, /Step 4\/4 Replacing the live database and storage/);
    assert.match(result.stdout, /Restored: selfdb_backup_\d{8}_\d{6}_first\.tar\.gz/);
    assert.match(result.stdout, /Restore finished in/);
    assert.equal((await api('/health')).status, 200);
    assert.equal(await loginStatus(), 200, 'the deleted user is back');
    assert.equal(
      readFileSync(join(storageDir, 'cli-bucket', 'nested', 'kept.txt'), 'utf8'),
      'bytes that must come back\n',
    );
    assert.ok(
      !existsSync(join(storageDir, 'cli-bucket', 'added-later.txt')),
      'storage is exactly the backup',
    );
  });

  test('backup_now.sh --cleanup --retention 3 deletes archives older than 3 days, named ones included', async () => {
    const result = await script('backup_now.sh', ['--cleanup', '--retention', '3']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Deleted selfdb_backup_20200101_000000_bad\.tar\.gz/);
    assert.deepEqual(
      readdirSync(backupsDir).filter((n) => n.startsWith('selfdb_backup_')),
      [archive.split('/').pop()],
    );
  });
});
