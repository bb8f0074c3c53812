// ./deploy.sh against a real SSH server: OpenSSH's sshd started here with its own config, host key and
// authorized_keys in a temp folder, a throwaway key, on 127.0.0.1:<free port>, standing in for the VPS. A real
// `--native --yes` deploy to a temp --dir with FRONTEND_DOMAIN=localhost (Caddy with its internal CA on free ports,
// bound to 127.0.0.1), then HTTPS through Caddy, a redeploy that keeps a user and a file (and backs up first), and
// a redeploy of a broken release that is rolled back. Also --help, --dry-run and a refused key.
// This machine has no systemd, so deploy.sh starts ./selfdb.sh start and Caddy as plain processes (and says so).
// node_modules: DEPLOY_NODE_MODULES links this checkout's install into each release instead of `npm ci` (over a
// minute per release here, and a network dependency CI should not have); the README documents it as tests-only.
// Skipped, saying why, where sshd, caddy or rsync are missing (.ci/run installs them).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fetchInsecure, waitForStatus } from './lib/https-client.ts';
import { cleanEnvironment, freeStackPorts, portVariables } from './lib/native-stack.ts';
import { freePort } from './lib/processes.ts';
import { liveCommandLine, runScript, type ScriptResult } from './lib/run-script.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const missing = [
  ['/usr/sbin/sshd', 'openssh-server'],
  ['/usr/bin/caddy', 'caddy'],
  ['/usr/bin/rsync', 'rsync'],
].filter(([path]) => !existsSync(path!));
const skip =
  process.getuid?.() !== 0
    ? 'deploy.sh tests log in to a test sshd as root, so they run as root only: skipped'
    : missing.length > 0
      ? `needs ${missing.map(([, pkg]) => pkg).join(', ')} (apt-get install -y ${missing.map(([, pkg]) => pkg).join(' ')}): deploy.sh tests skipped`
      : false;
const DEPLOY_TIMEOUT_MS = 240_000;

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

describe('deploy.sh --help and --dry-run', () => {
  test('--help prints the usage and exits 0; an unknown option exits 2', async () => {
    const help = await runScript('deploy.sh', ['--help'], cleanEnvironment());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: \.\/deploy\.sh/m);
    for (const option of [
      '--host',
      '--ssh-key',
      '--password',
      '--native',
      '--dry-run',
      '--yes',
      '--status',
      '--restore',
    ])
      assert.ok(help.stdout.includes(option), option);
    const unknown = await runScript('deploy.sh', ['--frobnicate'], cleanEnvironment());
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--frobnicate'/);
  });

  test('without --host and without a terminal it explains instead of prompting', async () => {
    const result = await runScript('deploy.sh', ['--yes'], cleanEnvironment());
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no --host given, and no terminal for the wizard/);
  });

  test('a real domain without an e-mail stops at the local checks', async () => {
    const result = await runScript(
      'deploy.sh',
      ['--host', '127.0.0.1', '--port', '1', '--domain', 'admin.example.org', '--yes'],
      cleanEnvironment(),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\[1\/10\] FAILED .*needs an e-mail for Let's Encrypt/);
    assert.match(result.stderr, /What to do: add --email/);
  });
});

describe('deploy.sh to a real SSH server (--native, no systemd)', { skip }, () => {
  const work = mkdtempSync(join(tmpdir(), 'selfdb-deploy-'));
  const serverDir = join(work, 'server');
  const knownHosts = join(work, 'known_hosts');
  const key = join(work, 'id_ed25519');
  let sshd: ChildProcess | null = null;
  let sshdLog = '';
  let sshPort = 0;
  let env: NodeJS.ProcessEnv = {};
  let httpsBase = '';
  let adminPassword = '';
  let apiKey = '';
  const user = {
    email: 'deployed@example.com',
    password: 'DeployedPass123',
    firstName: 'D',
    lastName: 'P',
  };

  const deployArgs = () => [
    '--host',
    '127.0.0.1',
    '--port',
    String(sshPort),
    '--user',
    'root',
    '--ssh-key',
    key,
    '--dir',
    serverDir,
    '--native',
    '--yes',
  ];
  const deploy = (args: string[], script = 'deploy.sh', timeoutMs = DEPLOY_TIMEOUT_MS) =>
    runScript(script, args, env, timeoutMs);
  const show = (result: ScriptResult) =>
    `exit ${result.code}\n${result.stdout}\n${result.stderr}\n--- sshd ---\n${sshdLog.slice(-2000)}`;
  const api = (
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ) =>
    fetchInsecure(`${httpsBase}/api${path}`, {
      ...init,
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json', ...init.headers },
    });
  const currentRelease = () => basename(readlinkSync(join(serverDir, 'current')));

  before(async () => {
    // The "VPS": sshd with everything in the temp folder, only the throwaway key allowed, on loopback.
    for (const [file, type] of [
      ['host_key', 'ed25519'],
      ['id_ed25519', 'ed25519'],
      ['other_key', 'ed25519'],
    ] as const) {
      const made = spawnSync('ssh-keygen', [
        '-q',
        '-t',
        type,
        '-N',
        '',
        '-C',
        'selfdb-deploy-test',
        '-f',
        join(work, file),
      ]);
      assert.equal(made.status, 0, String(made.stderr));
    }
    writeFileSync(join(work, 'authorized_keys'), readFileSync(`${key}.pub`));
    chmodSync(join(work, 'authorized_keys'), 0o600);
    sshPort = await freePort();
    writeFileSync(
      join(work, 'sshd_config'),
      [
        `Port ${sshPort}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(work, 'host_key')}`,
        `AuthorizedKeysFile ${join(work, 'authorized_keys')}`,
        `PidFile ${join(work, 'sshd.pid')}`,
        'AllowUsers root',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    mkdirSync('/run/sshd', { recursive: true });
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(work, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    sshd.stderr?.on('data', (chunk) => {
      sshdLog = (sshdLog + chunk).slice(-20_000);
    });
    for (let i = 0; i < 100 && !(await portAnswers(sshPort)); i++)
      await new Promise((wake) => setTimeout(wake, 100));
    assert.ok(await portAnswers(sshPort), `sshd did not start:\n${sshdLog}`);

    const ports = await freeStackPorts();
    const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    env = {
      ...cleanEnvironment(),
      ...portVariables(ports),
      FRONTEND_DOMAIN: 'localhost',
      CADDY_HTTP_PORT: String(httpPort),
      CADDY_HTTPS_PORT: String(httpsPort),
      CADDY_BIND: '127.0.0.1',
      CADDY_ADMIN: `127.0.0.1:${adminPort}`,
      DEPLOY_KNOWN_HOSTS: knownHosts,
      DEPLOY_NODE_MODULES: join(root, 'node_modules'),
      DEPLOY_HEALTH_TIMEOUT: '60',
    };
    httpsBase = `https://localhost:${httpsPort}`;
  });

  after(async () => {
    // Stop whatever the deploys started (the current release, and any other release's leftovers), then sshd.
    const current = join(serverDir, 'current');
    if (existsSync(current)) {
      spawnSync(join(current, 'scripts/native/caddy.sh'), ['stop'], { cwd: current, env });
      spawnSync(join(current, 'selfdb.sh'), ['stop'], {
        cwd: current,
        env: { ...env, SELFDB_MODE: 'native' },
      });
    }
    const state = join(serverDir, 'shared/selfdb');
    const stateReal = existsSync(state) ? realpathSync(state) : state;
    for (const dir of [join(state, 'run'), join(state, 'caddy')]) {
      for (const name of existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.pid')) : []) {
        const pid = Number(readFileSync(join(dir, name), 'utf8').trim());
        const line = liveCommandLine(pid);
        if (line && (line.includes(serverDir) || line.includes(stateReal))) process.kill(pid, 'SIGKILL');
      }
    }
    // As root the native state lives in /var/lib/selfdb/<id> (deploy.sh links it): removed with the rest.
    if (stateReal.startsWith('/var/lib/selfdb/')) {
      rmSync(stateReal, { recursive: true, force: true });
      if (readdirSync('/var/lib/selfdb').length === 0) rmSync('/var/lib/selfdb', { recursive: true });
    }
    sshd?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  test('--dry-run prints all ten steps and contacts nothing', async () => {
    const result = await deploy([...deployArgs(), '--dry-run']);
    assert.equal(result.code, 0, show(result));
    for (let step = 1; step <= 10; step++) assert.match(result.stdout, new RegExp(`^\\[${step}/10\\] `, 'm'));
    assert.match(result.stdout, /would run: rsync -az --delete/);
    assert.match(result.stdout, /Dry run: nothing was changed and nothing was contacted/);
    assert.equal(existsSync(serverDir), false);
    assert.equal(existsSync(knownHosts), false, 'the dry run connected to the server');
  });

  test('a key the server does not accept stops at step 2, saying what to do', async () => {
    const args = deployArgs();
    args[args.indexOf(key)] = join(work, 'other_key');
    const result = await deploy(args);
    assert.equal(result.code, 1, show(result));
    assert.match(result.stderr, /\[2\/10\] FAILED .*cannot run commands on root@127\.0\.0\.1/);
    assert.match(result.stderr, /refused the login as root/);
    assert.equal(existsSync(join(serverDir, 'releases')), false);
  });

  test('a wrong password, and a port where no sshd listens, stop at step 2 with the reason', async () => {
    const args = deployArgs();
    args.splice(args.indexOf('--ssh-key'), 2, '--password', 'not-the-password');
    const wrong = await deploy(args);
    assert.equal(wrong.code, 1, show(wrong));
    assert.match(wrong.stderr, /\[2\/10\] FAILED .*cannot run commands/);
    assert.match(wrong.stderr, /refused the login as root/);
    const closed = deployArgs();
    closed[closed.indexOf(String(sshPort))] = String(await freePort());
    const refused = await deploy(closed);
    assert.equal(refused.code, 1, show(refused));
    assert.match(
      refused.stderr,
      /nothing accepts SSH on 127\.0\.0\.1:\d+: is sshd running, and is --port right\?/,
    );
    assert.equal(existsSync(join(serverDir, 'releases')), false);
  });

  test('the wizard (no --host, on a terminal) asks everything, then stops when not confirmed', async () => {
    const answers = ['127.0.0.1', 'root', String(sshPort), key, 'localhost', 'y', serverDir, 'n', ''].join(
      '\n',
    );
    const result = spawnSync('script', ['-qec', join(root, 'deploy.sh'), '/dev/null'], {
      input: answers,
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /SelfDB deploy wizard/);
    assert.match(result.stdout, /native stack to root@127\.0\.0\.1:\d+, folder /);
    assert.match(result.stdout, /stopped; nothing was changed/);
    assert.equal(existsSync(serverDir), false);
  });

  test('first deploy (--native --yes): HTTPS through Caddy serves the API and the dashboard', async () => {
    const result = await deploy(deployArgs());
    assert.equal(result.code, 0, show(result));
    for (let step = 1; step <= 10; step++)
      assert.match(result.stdout, new RegExp(`^\\[${step}/10\\] .*\\n(.*\\n)*?  done in \\d+\\.\\ds`, 'm'));
    assert.match(result.stdout, /\(init\)/);
    assert.match(result.stdout, /no systemd here \(a container\?\): firewall and fail2ban left to the host/);
    assert.match(result.stderr, /will NOT come back after a reboot/);
    assert.match(result.stdout, /SelfDB is deployed \(native, release /);
    adminPassword = /ADMIN: \S+ \/ (\S+)/.exec(result.stdout)?.[1] ?? '';
    assert.ok(adminPassword.length >= 12, 'a random admin password is printed once');
    const serverEnv = readFileSync(join(serverDir, 'shared/.env'), 'utf8');
    apiKey = /^API_KEY=(.*)$/m.exec(serverEnv)?.[1] ?? '';
    assert.match(apiKey, /^selfdb-/);
    assert.match(serverEnv, /^FRONTEND_DOMAIN=localhost$/m);
    assert.match(serverEnv, /^CADDY_TLS=internal$/m);
    assert.match(serverEnv, /^TRUST_PROXY=true$/m);
    assert.ok(serverEnv.includes(`ADMIN_PASSWORD=${adminPassword}`));

    const health = await waitForStatus(`${httpsBase}/api/health`, 200, 30_000);
    assert.equal((JSON.parse(health.body.toString()) as { status: string }).status, 'healthy');
    const page = await fetchInsecure(`${httpsBase}/tables/anything`);
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /<div id="root">/);

    // Data for the redeploys: a user and a file.
    const created = await api('/users/', { method: 'POST', body: JSON.stringify(user) });
    assert.equal(created.status, 201, created.body.toString());
    const login = await api('/users/token', {
      method: 'POST',
      body: JSON.stringify({ email: 'admin@example.com', password: adminPassword }),
    });
    assert.equal(login.status, 200, login.body.toString());
    const auth = {
      authorization: `Bearer ${(JSON.parse(login.body.toString()) as { access_token: string }).access_token}`,
    };
    const bucket = await api('/storage/buckets/', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'kept' }),
    });
    assert.equal(bucket.status, 201, bucket.body.toString());
    const bucketId = (JSON.parse(bucket.body.toString()) as { id: string }).id;
    const uploaded = await api(`/storage/files/upload?bucket_id=${bucketId}&filename=kept.txt`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'survives redeploys',
    });
    assert.equal(uploaded.status, 201, uploaded.body.toString());
  });

  async function assertDataKept() {
    const login = await api('/users/token', {
      method: 'POST',
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    assert.equal(login.status, 200, login.body.toString());
    const admin = await api('/users/token', {
      method: 'POST',
      body: JSON.stringify({ email: 'admin@example.com', password: adminPassword }),
    });
    const auth = {
      authorization: `Bearer ${(JSON.parse(admin.body.toString()) as { access_token: string }).access_token}`,
    };
    const file = await api('/storage/files/download/kept/kept.txt', { headers: auth });
    assert.equal(file.status, 200);
    assert.equal(file.body.toString(), 'survives redeploys');
  }

  test('redeploy: backs up first, switches release, keeps the user and the file', async () => {
    const before = currentRelease();
    const result = await deploy(deployArgs());
    assert.equal(result.code, 0, show(result));
    assert.match(result.stdout, /\(redeploy\)/);
    assert.match(result.stdout, /\.env: kept/);
    assert.notEqual(currentRelease(), before);
    assert.ok(
      readdirSync(join(serverDir, 'backups')).some((name) =>
        /^selfdb_backup_\d{8}_\d{6}_pre-deploy\.tar\.gz$/.test(name),
      ),
      'no pre-deploy backup',
    );
    await waitForStatus(`${httpsBase}/api/health`, 200, 30_000);
    await assertDataKept();
  });

  test('a redeploy whose backend does not start is rolled back to the previous release', async () => {
    const good = currentRelease();
    // A copy of the project whose backend throws at start-up: what a bad commit looks like on the server.
    const broken = join(work, 'broken');
    cpSync(root, broken, {
      recursive: true,
      filter: (source) => !/\/(node_modules|\.git|\.selfdb)(\/|$)/.test(source.slice(root.length)),
    });
    const server = join(broken, 'backend/src/server.ts');
    writeFileSync(
      server,
      `throw new Error('broken release for the deploy test');\n${readFileSync(server, 'utf8')}`,
    );
    // The broken copy's own deploy.sh runs, as a user would from their checkout.
    const brokenRun = await new Promise<ScriptResult>((done, fail) => {
      const started = Date.now();
      const child = spawn(join(broken, 'deploy.sh'), deployArgs(), {
        cwd: broken,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGTERM'), DEPLOY_TIMEOUT_MS);
      child.on('error', fail);
      child.on('close', (code) => {
        clearTimeout(timer);
        done({ code, stdout, stderr, ms: Date.now() - started });
      });
    });
    assert.equal(brokenRun.code, 1, show(brokenRun));
    assert.match(brokenRun.stderr, /\[9\/10\] FAILED .*did not become healthy.*rolled back to/);
    assert.match(brokenRun.stderr, /What to do: read the new release's logs/);
    assert.equal(currentRelease(), good);
    assert.ok(readdirSync(join(serverDir, 'releases')).some((name) => name.endsWith('.failed')));
    await waitForStatus(`${httpsBase}/api/health`, 200, 30_000);
    await assertDataKept();
  });

  test('day two over SSH: --status, --logs, --backup, --restore', async () => {
    const connection = [
      '--host',
      '127.0.0.1',
      '--port',
      String(sshPort),
      '--ssh-key',
      key,
      '--dir',
      serverDir,
    ];
    // --ssh-key takes the key's content too (written to a 0600 temp file for the session, then removed).
    const withContent = [...connection];
    withContent[withContent.indexOf(key)] = readFileSync(key, 'utf8');
    const status = await deploy([...withContent, '--status']);
    assert.equal(status.code, 0, show(status));
    assert.match(status.stdout, /^Release: \d{8}-\d{6}/m);
    assert.match(status.stdout, /^backend\s+running/m);
    assert.match(status.stdout, /^caddy\s+running/m);
    assert.match(status.stdout, /\/api\/health: 200/);
    const logs = await deploy([...connection, '--logs', 'caddy']);
    assert.equal(logs.code, 0, show(logs));
    assert.match(logs.stdout, /"uri":"\/api\/health"/, 'Caddy access log lines');
    const backup = await deploy([...connection, '--backup']);
    assert.equal(backup.code, 0, show(backup));
    assert.match(backup.stdout, /selfdb_backup_\d{8}_\d{6}\.tar\.gz/);
    const restore = await deploy([...connection, '--restore', 'latest'], 'deploy.sh', 180_000);
    assert.equal(restore.code, 0, show(restore));
    await waitForStatus(`${httpsBase}/api/health`, 200, 60_000);
    await assertDataKept();
    const unknown = await deploy([...connection, '--restore', 'no-such-archive.tar.gz']);
    assert.notEqual(unknown.code, 0);
  });

  test('a domain that does not resolve: plain HTTP with a warning, no certificate loop', async () => {
    const args = [...deployArgs(), '--domain', 'selfdb-deploy-test.invalid', '--email', 'ops@example.org'];
    const result = await deploy(args);
    assert.equal(result.code, 0, show(result));
    assert.match(result.stderr, /selfdb-deploy-test\.invalid does not resolve \(yet\): serving plain HTTP/);
    assert.match(result.stdout, /Dashboard: http:\/\/selfdb-deploy-test\.invalid/);
    const serverEnv = readFileSync(join(serverDir, 'shared/.env'), 'utf8');
    assert.match(serverEnv, /^CADDY_SCHEME=http$/m);
    assert.match(serverEnv, /^CADDY_TLS=ops@example\.org$/m);
    const health = await fetchInsecure(`http://selfdb-deploy-test.invalid:${env.CADDY_HTTP_PORT}/api/health`);
    assert.equal(health.status, 200, health.body.toString());
    const login = await fetchInsecure(
      `http://selfdb-deploy-test.invalid:${env.CADDY_HTTP_PORT}/api/users/token`,
      {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: user.password }),
      },
    );
    assert.equal(login.status, 200, login.body.toString());
  });
});
