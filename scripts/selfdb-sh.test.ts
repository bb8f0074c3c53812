// End-to-end check of the one-command start in native mode: ./generate_keys.sh --yes makes the env file, then
// ./selfdb.sh start/status/stop/start/stop run for real (Postgres, PgBouncer, storage, backend, realtime) in a temp
// SELFDB_HOME on free ports. Every process the script started is killed in `after`, even when an assertion fails.
import assert from 'node:assert/strict';
import {
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
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import WebSocket from 'ws';
import { ensureDashboardBuilt } from './lib/dashboard.ts';
import { freePort } from './lib/processes.ts';
import { liveCommandLine, parseEnvFile, runScript, type ScriptResult } from './lib/run-script.ts';
import { NODE_FLAGS, RUNTIME_ENV, SERVICES } from './build.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const START_TIMEOUT_MS = 60_000;

function portAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

describe('selfdb.sh (native mode)', () => {
  const home = mkdtempSync(join(tmpdir(), 'selfdb-sh-home-'));
  const envDir = mkdtempSync(join(tmpdir(), 'selfdb-sh-env-'));
  const envFile = join(envDir, 'env');
  const runDir = join(home, 'run');
  /** pid → command line of every process selfdb.sh recorded, so `after` can kill leftovers and nothing else. */
  const recorded = new Map<number, string>();
  let env: NodeJS.ProcessEnv = {};
  let ports = { backend: 0, db: 0, pgbouncer: 0, realtime: 0, storage: 0, functions: 0, frontend: 0 };
  let fileValues: Record<string, string> = {};
  const newUser = {
    email: 'selfdb-sh@example.com',
    password: 'UserPass123',
    firstName: 'Sh',
    lastName: 'Test',
  };

  const selfdb = (args: string[], timeoutMs?: number) => runScript('selfdb.sh', args, env, timeoutMs);
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${ports.backend}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', 'x-api-key': fileValues.API_KEY ?? '', ...init.headers },
      signal: AbortSignal.timeout(10_000),
    });
  const login = (email: string, password: string) =>
    api('/users/token', { method: 'POST', body: JSON.stringify({ email, password }) });
  /** One query on the SelfDB database, straight to Postgres (or through PgBouncer), as `user` with `password`. */
  async function query(
    text: string,
    options: { user?: string; password?: string; port?: number } = {},
  ): Promise<pg.QueryResult> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: options.port ?? ports.db,
      user: options.user ?? fileValues.POSTGRES_USER,
      password: options.password ?? fileValues.POSTGRES_PASSWORD,
      database: fileValues.POSTGRES_DB,
    });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  }

  function recordPids() {
    const pids: number[] = [];
    for (const name of existsSync(runDir) ? readdirSync(runDir) : []) {
      if (!name.endsWith('.pid')) continue;
      const pid = Number(readFileSync(join(runDir, name), 'utf8').trim());
      const commandLine = liveCommandLine(pid);
      if (commandLine) recorded.set(pid, commandLine);
      pids.push(pid);
    }
    return pids;
  }

  async function assertStartedAndHealthy(result: ScriptResult) {
    assert.equal(result.code, 0, `start failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    assert.ok(result.ms < START_TIMEOUT_MS, `start took ${result.ms} ms`);
    assert.match(result.stdout, /All services healthy/);
    assert.match(result.stdout, new RegExp(`http://127\\.0\\.0\\.1:${ports.backend}/docs`));
    const pids = recordPids();
    assert.equal(pids.length, 7, `expected 7 pid files in ${runDir}, got ${pids.length}`);
    // The Node services run as their bundles (no TypeScript loader in memory) with the flags and env of the images.
    const nodeServices = pids
      .map((pid) => liveCommandLine(pid) ?? '')
      .filter((line) => /server\.js/.test(line));
    assert.deepEqual(nodeServices.map((line) => /(\w+)\/dist\/server\.js/.exec(line)?.[1]).sort(), [
      'backend',
      'functions',
      'realtime',
      'storage',
    ]);
    for (const service of SERVICES) {
      const line = nodeServices.find((candidate) => candidate.includes(`/${service}/dist/`)) ?? '';
      const args = line.split('\0');
      for (const flag of NODE_FLAGS[service]) assert.ok(args.includes(flag), `${service}: ${args.join(' ')}`);
      const pid = pids.find((candidate) => liveCommandLine(candidate) === line);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      for (const [name, value] of Object.entries(RUNTIME_ENV[service]))
        assert.ok(environ.includes(`${name}=${value}`), `${service} runs without ${name}=${value}`);
    }
    const health = await api('/health');
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'healthy');
    const realtime = await fetch(`http://127.0.0.1:${ports.realtime}/health`, {
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(realtime.status, 200);
    assert.equal(((await realtime.json()) as { service: string }).service, 'realtime');
    const functions = await fetch(`http://127.0.0.1:${ports.functions}/health`, {
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(functions.status, 200);
    assert.equal(((await functions.json()) as { status: string }).status, 'ok');
    const storage = await fetch(`http://127.0.0.1:${ports.storage}/health`, {
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(storage.status, 200);
    assert.equal(((await storage.json()) as { service: string }).service, 'storage');
    // The dashboard: the app, its runtime config from the env file, and the API under /api (prefix stripped).
    const dashboard = `http://127.0.0.1:${ports.frontend}`;
    const page = await fetch(dashboard, { signal: AbortSignal.timeout(10_000) });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);
    const runtime = await fetch(`${dashboard}/config.json`, { signal: AbortSignal.timeout(10_000) });
    assert.deepEqual(await runtime.json(), { apiUrl: '/api', apiKey: fileValues.API_KEY });
    const proxied = await fetch(`${dashboard}/api/health`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(((await proxied.json()) as { status: string }).status, 'healthy');
  }

  /** A heartbeat over the backend's /realtime/socket, tunnelled to the realtime service. */
  async function realtimeHeartbeat(): Promise<unknown> {
    const url = `ws://127.0.0.1:${ports.backend}/realtime/socket/websocket?vsn=2.0.0&X-API-Key=${encodeURIComponent(fileValues.API_KEY ?? '')}`;
    const socket = new WebSocket(url);
    try {
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const reply = new Promise((resolve) =>
        socket.once('message', (data) => resolve(JSON.parse(data.toString()))),
      );
      socket.send(JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}]));
      return await reply;
    } finally {
      socket.terminate();
    }
  }

  async function assertStopped(result: ScriptResult, pids: number[]) {
    assert.equal(result.code, 0, `stop failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    for (const pid of pids) assert.equal(liveCommandLine(pid), null, `pid ${pid} is still alive after stop`);
    for (const [name, port] of Object.entries(ports)) {
      assert.equal(await portAnswers(port), false, `${name} port ${port} still answers after stop`);
    }
    assert.deepEqual(
      readdirSync(runDir).filter((name) => name.endsWith('.pid')),
      [],
    );
  }

  before(async () => {
    const picked = new Set<number>();
    while (picked.size < 7) picked.add(await freePort());
    const [backend = 0, db = 0, pgbouncer = 0, realtime = 0, storage = 0, functions = 0, frontend = 0] =
      picked;
    ports = { backend, db, pgbouncer, realtime, storage, functions, frontend };
    // Built here, so the starts below (which rebuild a stale dashboard) stay within START_TIMEOUT_MS.
    ensureDashboardBuilt();
    // Variables the env file sets must come from it, not from whoever runs the tests (exported ones would win).
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) =>
          !key.startsWith('SELFDB_') &&
          !/^(DATABASE_URL|DIRECT_DATABASE_URL|PG_BIN|PGBOUNCER_BIN)$/.test(key),
      ),
    );
    const example = parseEnvFile(join(root, '.env.example'));
    for (const key of Object.keys(example)) delete inherited[key];
    env = {
      ...inherited,
      SELFDB_MODE: 'native',
      SELFDB_HOME: home,
      SELFDB_ENV_FILE: envFile,
      BACKEND_PORT: String(ports.backend),
      DB_PORT: String(ports.db),
      PGBOUNCER_PORT: String(ports.pgbouncer),
      REALTIME_INTERNAL_PORT: String(ports.realtime),
      STORAGE_INTERNAL_PORT: String(ports.storage),
      FUNCTIONS_INTERNAL_PORT: String(ports.functions),
      FRONTEND_PORT: String(ports.frontend),
      LOG_LEVEL: 'warn',
    };
  });

  after(async () => {
    if (existsSync(runDir)) await selfdb(['stop'], 90_000).catch(() => undefined);
    for (const [pid, commandLine] of recorded) {
      if (liveCommandLine(pid) === commandLine) process.kill(pid, 'SIGKILL');
    }
    rmSync(home, { recursive: true, force: true });
    rmSync(envDir, { recursive: true, force: true });
  });

  test('--help of both scripts prints a usage line and exits 0; an unknown command exits 2', async () => {
    const help = await selfdb(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: \.\/selfdb\.sh/m);
    const keysHelp = await runScript('generate_keys.sh', ['--help'], env);
    assert.equal(keysHelp.code, 0);
    assert.match(keysHelp.stdout, /^Usage: \.\/generate_keys\.sh/m);
    const unknown = await selfdb(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    assert.match(unknown.stderr, /Usage:/);
  });

  test('generate_keys.sh --yes creates the env file from .env.example with fresh keys', async () => {
    const result = await runScript('generate_keys.sh', ['--yes'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(envFile), 'env file was not created');
    fileValues = parseEnvFile(envFile);
    const example = parseEnvFile(join(root, '.env.example'));
    assert.match(fileValues.SECRET_KEY ?? '', /^[0-9a-f]{64}$/);
    assert.match(
      fileValues.API_KEY ?? '',
      /^selfdb-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    assert.notEqual(fileValues.API_KEY, example.API_KEY);
    assert.equal(fileValues.ADMIN_EMAIL, example.ADMIN_EMAIL);
    assert.ok(!result.stdout.includes(fileValues.SECRET_KEY ?? '-'), 'the full SECRET_KEY was printed');
    assert.ok((fileValues.ADMIN_EMAIL ?? '') !== '' && (fileValues.ADMIN_PASSWORD ?? '') !== '');
    assert.match(fileValues.POSTGRES_PASSWORD ?? '', /^[0-9a-f]{48}$/);
    assert.ok(
      !result.stdout.includes(fileValues.POSTGRES_PASSWORD ?? '-'),
      'the database password was printed',
    );
    assert.equal(statSync(envFile).mode & 0o777, 0o600, 'the env file is readable by others');
  });

  test('start refuses a port in use, naming it and its variable, and starts nothing', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(ports.db, '127.0.0.1', done));
    try {
      const result = await selfdb(['start']);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`port ${ports.db} is already in use`));
      assert.match(result.stderr, /DB_PORT/);
      assert.equal(recordPids().length, 0);
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  });

  test('cold start (initdb included) brings every service up healthy', async () => {
    const result = await selfdb(['start'], START_TIMEOUT_MS);
    await assertStartedAndHealthy(result);
    assert.match(result.stdout, /initdb/);
    // generate_keys.sh made fresh keys, but ADMIN_PASSWORD is still .env.example's `password`: said loudly.
    assert.match(result.stderr, /WARNING: insecure settings/);
    assert.match(result.stderr, /- ADMIN_PASSWORD is the example value/);
    assert.doesNotMatch(result.stderr, /- (SECRET_KEY|API_KEY) is the example value/);
  });

  test('the admin from the env file logs in, and a new user can register', async () => {
    const adminLogin = await login(fileValues.ADMIN_EMAIL ?? '', fileValues.ADMIN_PASSWORD ?? '');
    assert.equal(adminLogin.status, 200);
    const tokens = (await adminLogin.json()) as { access_token: string; refresh_token: string };
    assert.ok(tokens.access_token.length > 20 && tokens.refresh_token.length > 20);
    assert.deepEqual(await realtimeHeartbeat(), [
      null,
      '1',
      'phoenix',
      'phx_reply',
      { status: 'ok', response: {} },
    ]);
    const created = await api('/users/', { method: 'POST', body: JSON.stringify(newUser) });
    assert.equal(created.status, 201, await created.clone().text());
    assert.equal(((await created.json()) as { email: string }).email, newUser.email);
    // Files go through the backend to the storage service, and land in the state directory.
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const bucket = await api('/storage/buckets/', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'selfdb-sh-bucket' }),
    });
    assert.equal(bucket.status, 201, await bucket.clone().text());
    const bucketId = ((await bucket.json()) as { id: string }).id;
    const uploaded = await api(`/storage/files/upload?bucket_id=${bucketId}&filename=hello.txt`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hello from selfdb.sh',
    });
    assert.equal(uploaded.status, 201, await uploaded.clone().text());
    assert.equal(
      readFileSync(join(home, 'storage/selfdb-sh-bucket/hello.txt'), 'utf8'),
      'hello from selfdb.sh',
    );
    const downloaded = await api('/storage/files/download/selfdb-sh-bucket/hello.txt', { headers: auth });
    assert.equal(await downloaded.text(), 'hello from selfdb.sh');
  });

  test('the services connect as SelfDB’s non-superuser roles, never as the superuser', async () => {
    const { rows } = await query(
      `SELECT DISTINCT a.usename, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
       WHERE a.datname = current_database() AND a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()`,
    );
    assert.deepEqual(rows, [{ usename: 'selfdb_app', rolsuper: false }]);
  });

  test('status shows every service running; start again says so and exits 0', async () => {
    const status = await selfdb(['status']);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    for (const name of ['postgres', 'pgbouncer', 'storage', 'functions', 'backend', 'realtime', 'frontend']) {
      assert.match(status.stdout, new RegExp(`^${name}\\s+running\\s+\\d+`, 'm'));
    }
    const again = await selfdb(['start']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already running/);
  });

  test('stop ends exactly the recorded processes and frees the ports', async () => {
    const pids = recordPids();
    assert.equal(pids.length, 7);
    await assertStopped(await selfdb(['stop'], 90_000), pids);
    const status = await selfdb(['status']);
    assert.equal(status.code, 3);
    assert.match(status.stdout, /^backend\s+stopped/m);
  });

  test('a second start keeps the data: the user registered before still logs in', async () => {
    const result = await selfdb(['start'], START_TIMEOUT_MS);
    await assertStartedAndHealthy(result);
    assert.doesNotMatch(result.stdout, /initdb/);
    const userLogin = await login(newUser.email, newUser.password);
    assert.equal(userLogin.status, 200);
    await assertStopped(await selfdb(['stop'], 90_000), recordPids());
  });

  test('generate_keys.sh rotates POSTGRES_PASSWORD: in the running database and PgBouncer, or at the next start', async () => {
    await assertStartedAndHealthy(await selfdb(['start'], START_TIMEOUT_MS));
    const old = fileValues.POSTGRES_PASSWORD ?? '';
    const running = await runScript('generate_keys.sh', ['--yes'], env);
    assert.equal(running.code, 0, running.stdout + running.stderr);
    assert.match(running.stdout, /changed in the running database/);
    fileValues = parseEnvFile(envFile);
    assert.notEqual(fileValues.POSTGRES_PASSWORD, old);
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    await assert.rejects(query('SELECT 1', { password: old }), /password authentication failed/);
    for (const user of ['postgres', 'selfdb_app', 'selfdb_console']) {
      assert.equal((await query('SELECT current_user AS u', { user })).rows[0].u, user);
    }
    const pooled = await query('SELECT current_user AS u', { user: 'selfdb_app', port: ports.pgbouncer });
    assert.equal(pooled.rows[0].u, 'selfdb_app');
    // The running services still hold the old password: a restart gives them the new one.
    await assertStopped(await selfdb(['stop'], 90_000), recordPids());
    await assertStartedAndHealthy(await selfdb(['start'], START_TIMEOUT_MS));
    assert.equal((await login(newUser.email, newUser.password)).status, 200);
    await assertStopped(await selfdb(['stop'], 90_000), recordPids());

    // Rotated while stopped: the next start sets it in the database.
    const stopped = await runScript('generate_keys.sh', ['--yes'], env);
    assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
    assert.match(stopped.stdout, /not running here: the next \.\/selfdb\.sh start sets it/);
    fileValues = parseEnvFile(envFile);
    const started = await selfdb(['start'], START_TIMEOUT_MS);
    await assertStartedAndHealthy(started);
    assert.match(started.stdout, /POSTGRES_PASSWORD changed/);
    assert.equal((await login(newUser.email, newUser.password)).status, 200);
    assert.equal((await query('SELECT 1 AS ok', { user: 'selfdb_console' })).rows[0].ok, 1);
    await assertStopped(await selfdb(['stop'], 90_000), recordPids());
  });
});

describe('selfdb.sh start warns about example secrets (Docker mode, against a stub docker)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfdb-sh-docker-'));
  const envFile = join(dir, 'env');
  // Answers every docker command with success and no output: `start` runs `compose up`, then finds no container
  // and stops with an error. Nothing reaches a real Docker engine.
  const stub = join(dir, 'bin');
  mkdirSync(stub);
  writeFileSync(join(stub, 'docker'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const env = (): NodeJS.ProcessEnv => ({
    PATH: `${stub}:${process.env.PATH ?? ''}`,
    HOME: dir,
    SELFDB_MODE: 'docker',
    SELFDB_ENV_FILE: envFile,
    SELFDB_START_TIMEOUT: '5',
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the example .env: SECRET_KEY, API_KEY and ADMIN_PASSWORD are named before anything starts', async () => {
    copyFileSync(join(root, '.env.example'), envFile);
    const result = await runScript('selfdb.sh', ['start'], env());
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /no containers/);
    const warning = result.stderr.slice(0, result.stderr.indexOf('no containers'));
    assert.match(warning, /WARNING: insecure settings/);
    for (const name of ['SECRET_KEY', 'API_KEY', 'ADMIN_PASSWORD']) {
      assert.match(warning, new RegExp(`- ${name} is the example value`), name);
    }
  });

  test('weak admin passwords count too; strong secrets get no warning', async () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const strong = example
      .replace(/^SECRET_KEY=.*$/m, `SECRET_KEY=${'ab12'.repeat(16)}`)
      .replace(/^API_KEY=.*$/m, 'API_KEY=selfdb-0f0e0d0c-1111-2222-3333-444455556666')
      .replace(/^POSTGRES_PASSWORD=.*$/m, 'POSTGRES_PASSWORD=Pg-Long-Random-9f8e7d');
    for (const weak of ['admin123', 'Password123', 'short']) {
      writeFileSync(envFile, strong.replace(/^ADMIN_PASSWORD=.*$/m, `ADMIN_PASSWORD=${weak}`));
      const result = await runScript('selfdb.sh', ['start'], env());
      assert.match(result.stderr, /- ADMIN_PASSWORD is the example value or a weak one/, weak);
      assert.doesNotMatch(result.stderr, /- (SECRET_KEY|API_KEY|POSTGRES_PASSWORD) is/, weak);
    }
    writeFileSync(envFile, strong.replace(/^ADMIN_PASSWORD=.*$/m, 'ADMIN_PASSWORD=Adm1n-Str0ng-Pass'));
    const result = await runScript('selfdb.sh', ['start'], env());
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no containers/);
    assert.doesNotMatch(result.stderr, /WARNING/);
  });
});
