// docker-compose-production.yml (what ./deploy.sh runs on a server with Docker) checked without a Docker engine:
// `docker-compose config` (Debian's docker-compose parses and validates the file; skipped, saying so, where it is
// not installed), then the project's own rules: only Caddy publishes ports (80, 443), every service has a
// healthcheck and a restart policy and waits for healthy dependencies, data in named volumes, ./backups mounted,
// each service shared with docker-compose.yml equal to it but for the differences named here, and the
// Dockerfiles it builds run as non-root with a healthcheck. The last suite feeds each rule a broken sample.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose text is full of literal ${VAR}s
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  restart?: string;
  environment?: Record<string, unknown>;
  ports?: unknown[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: unknown; disable?: boolean };
  networks?: string[];
}
interface Compose {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const productionText = read('docker-compose-production.yml');
const production = parse(productionText) as Compose;
const development = parse(read('docker-compose.yml')) as Compose;
const envExample = new Set(
  read('.env.example')
    .split('\n')
    .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => Boolean(name)),
);

/** Differences from docker-compose.yml that production makes on purpose, per service. */
const PRODUCTION_ONLY_ENV: Record<string, string[]> = {
  backend: ['TRUST_PROXY'],
  realtime: ['TRUST_PROXY'],
  functions: ['FUNCTIONS_DATA_DIR'],
  // Caddy routes /api in production; the development dashboard proxies it itself.
  frontend: ['FRONTEND_BACKEND_URL'],
};
/** The named volumes that hold data, and where they are mounted. */
const DATA_VOLUMES: Record<string, string> = {
  postgres_data: 'db',
  storage_data: 'storage',
  functions_data: 'functions',
  caddy_data: 'caddy',
};

function publishProblems(services: Record<string, Service>): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    const ports = (service.ports ?? []).map(String);
    if (name === 'caddy') {
      const tcp = ports.filter((port) => !port.endsWith('/udp')).sort();
      if (!isDeepStrictEqual(tcp, ['443:443', '80:80']))
        problems.push(`caddy publishes ${tcp.join(', ')}, not 80 and 443`);
    } else if (ports.length > 0) problems.push(`${name} publishes ${ports.join(', ')}: only caddy may`);
  }
  return problems;
}

function healthAndRestartProblems(services: Record<string, Service>): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    const test = service.healthcheck?.test;
    if (!test || service.healthcheck?.disable || (Array.isArray(test) && test[0] === 'NONE'))
      problems.push(`${name} has no healthcheck`);
    if (!['unless-stopped', 'always'].includes(service.restart ?? ''))
      problems.push(`${name} restart is ${service.restart ?? 'unset'}, not unless-stopped or always`);
    const dependsOn = service.depends_on;
    if (Array.isArray(dependsOn))
      problems.push(`${name}: depends_on is a list, it does not wait for healthy`);
    else
      for (const [target, options] of Object.entries(dependsOn ?? {})) {
        if (options?.condition !== 'service_healthy')
          problems.push(`${name} -> ${target}: not service_healthy`);
        if (!services[target]) problems.push(`${name} -> ${target}: no such service`);
      }
  }
  return problems;
}

function volumeProblems(compose: Compose): string[] {
  const problems: string[] = [];
  for (const [volume, service] of Object.entries(DATA_VOLUMES)) {
    if (!compose.volumes || !(volume in compose.volumes)) problems.push(`volume ${volume} is not declared`);
    const mounted = (compose.services[service]?.volumes ?? []).some((mount) =>
      mount.startsWith(`${volume}:`),
    );
    if (!mounted) problems.push(`${service} does not mount ${volume}`);
  }
  for (const [name, service] of Object.entries(compose.services)) {
    for (const mount of service.volumes ?? []) {
      const source = mount.split(':')[0] ?? '';
      if (
        !source.startsWith('.') &&
        !source.startsWith('/') &&
        !(compose.volumes && source in compose.volumes)
      )
        problems.push(`${name} mounts ${source}, which is not a declared volume`);
    }
  }
  if (!(compose.services.backend?.volumes ?? []).some((mount) => mount.startsWith('./backups:')))
    problems.push('backend does not bind-mount ./backups');
  return problems;
}

/** A shared service differs from docker-compose.yml only in its ports, restart policy and PRODUCTION_ONLY_ENV. */
function driftProblems(prod: Compose, dev: Compose): string[] {
  const problems: string[] = [];
  for (const [name, devService] of Object.entries(dev.services)) {
    const prodService = prod.services[name];
    if (!prodService) {
      problems.push(`${name} of docker-compose.yml is missing`);
      continue;
    }
    for (const key of ['image', 'build', 'healthcheck', 'depends_on', 'networks'] as const) {
      if (!isDeepStrictEqual(devService[key], prodService[key])) problems.push(`${name}.${key} differs`);
    }
    const allowed = new Set(PRODUCTION_ONLY_ENV[name] ?? []);
    const devEnv = devService.environment ?? {};
    const prodEnv = prodService.environment ?? {};
    for (const key of new Set([...Object.keys(devEnv), ...Object.keys(prodEnv)])) {
      if (allowed.has(key)) continue;
      if (!isDeepStrictEqual(devEnv[key], prodEnv[key])) problems.push(`${name}.environment.${key} differs`);
    }
    for (const key of allowed) if (!(key in prodEnv)) problems.push(`${name}.environment.${key} is missing`);
  }
  return problems;
}

/** ${VAR} without a default must be in .env.example (commented counts: deploy.sh's .env comes from it). */
function variableProblems(text: string): string[] {
  const bare = [...text.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?][^}]*)?\}/g)]
    .filter((match) => !match[2])
    .map((match) => match[1]!);
  return [...new Set(bare)]
    .filter((name) => !envExample.has(name))
    .map((name) => `\${${name}} is not in .env.example`);
}

/** The final stage of a Dockerfile runs as a non-root USER and has a HEALTHCHECK and a CMD. */
function dockerfileProblems(text: string): string[] {
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const from = lines.map((line) => /^FROM\b/i.test(line)).lastIndexOf(true);
  const stage = lines.slice(from);
  const problems: string[] = [];
  const user = stage
    .filter((line) => /^USER\s/i.test(line))
    .at(-1)
    ?.split(/\s+/)[1];
  if (!user || user === 'root' || user === '0') problems.push(`runs as ${user ?? 'root (no USER)'}`);
  if (!stage.some((line) => /^HEALTHCHECK\s/i.test(line))) problems.push('no HEALTHCHECK');
  if (!stage.some((line) => /^CMD\s/i.test(line))) problems.push('no CMD');
  if (lines.some((line) => /^FROM\s+\S+:latest\b/i.test(line))) problems.push('a FROM uses :latest');
  if (lines.some((line) => /apt-get install(?![^\n]*--no-install-recommends)/.test(line)))
    problems.push('apt-get install without --no-install-recommends');
  return problems;
}

describe('docker-compose-production.yml', () => {
  it('is project selfdb with every service of docker-compose.yml plus caddy', () => {
    assert.equal(production.name, 'selfdb');
    assert.deepEqual(
      Object.keys(production.services).sort(),
      [...Object.keys(development.services), 'caddy'].sort(),
    );
  });

  it('docker-compose config accepts it with .env.example', (t) => {
    const v1 = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (v2.status === 0) {
      const result = spawnSync(
        'docker',
        ['compose', '-f', 'docker-compose-production.yml', '--env-file', '.env.example', 'config', '-q'],
        { cwd: root, encoding: 'utf8' },
      );
      assert.equal(result.status, 0, result.stderr);
    }
    if (v1.status !== 0) {
      if (v2.status !== 0)
        t.skip('neither docker-compose nor docker compose is installed (apt-get install docker-compose)');
      return;
    }
    // docker-compose 1.x predates the top-level `name` (Compose v2 reads it): checked above, dropped for 1.x.
    const dir = mkdtempSync(join(tmpdir(), 'selfdb-compose-'));
    try {
      writeFileSync(join(dir, 'docker-compose.yml'), productionText.replace(/^name: selfdb\n/m, ''));
      const result = spawnSync(
        'docker-compose',
        [
          '-f',
          join(dir, 'docker-compose.yml'),
          '--project-directory',
          root,
          '--env-file',
          join(root, '.env.example'),
          'config',
        ],
        { cwd: root, encoding: 'utf8' },
      );
      assert.equal(result.status, 0, result.stderr);
      const resolved = parse(result.stdout) as Compose;
      const caddy = resolved.services.caddy!;
      assert.deepEqual(
        (caddy.ports as { published: number | string; target: number }[])
          .map((port) => Number(port.published))
          .sort(),
        [443, 443, 80],
      );
      assert.equal(caddy.environment?.CADDY_BACKEND_UPSTREAM, 'backend:8000');
      // A broken file is refused (the check can fail).
      writeFileSync(join(dir, 'docker-compose.yml'), 'services:\n  web:\n    ports: 80\n');
      const broken = spawnSync('docker-compose', ['-f', join(dir, 'docker-compose.yml'), 'config'], {
        encoding: 'utf8',
      });
      assert.notEqual(broken.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('only caddy publishes ports: 80 and 443', () => {
    assert.deepEqual(publishProblems(production.services), []);
  });

  it('every service has a healthcheck and a restart policy, and waits for healthy dependencies', () => {
    assert.deepEqual(healthAndRestartProblems(production.services), []);
    assert.deepEqual(Object.keys(production.services.caddy?.depends_on ?? {}).sort(), [
      'backend',
      'frontend',
      'realtime',
    ]);
  });

  it('keeps data in named volumes and bind-mounts ./backups and the Caddyfile', () => {
    assert.deepEqual(volumeProblems(production), []);
    assert.ok(production.services.caddy?.volumes?.includes('./caddy/Caddyfile:/etc/caddy/Caddyfile:ro'));
    assert.ok(existsSync(join(root, 'caddy/Caddyfile')));
    assert.match(
      read('functions/Dockerfile'),
      /install -d -o node -g node -m 0750 \/var\/lib\/selfdb\/functions/,
    );
  });

  it('each shared service is docker-compose.yml’s but for the differences production needs', () => {
    assert.deepEqual(driftProblems(production, development), []);
    assert.equal(production.services.backend?.environment?.TRUST_PROXY, 'true');
  });

  it('uses only variables of .env.example (or with a default)', () => {
    assert.deepEqual(variableProblems(productionText), []);
  });

  it('builds from Dockerfiles that exist, run as non-root and have a healthcheck', () => {
    for (const [name, service] of Object.entries(production.services)) {
      if (!service.build) continue;
      const build = service.build;
      const dockerfile =
        typeof build === 'string'
          ? join(build, 'Dockerfile')
          : join(build.context ?? '.', build.dockerfile ?? 'Dockerfile');
      if (name === 'pgbouncer') continue; // checked by scripts/compose.test.ts
      assert.ok(existsSync(join(root, dockerfile)), `${name}: ${dockerfile}`);
      assert.deepEqual(dockerfileProblems(read(dockerfile)), [], dockerfile);
    }
    const hadolint = spawnSync('hadolint', ['--version']);
    if (hadolint.status === 0) {
      const result = spawnSync('hadolint', ['--failure-threshold', 'error', 'frontend/Dockerfile'], {
        cwd: root,
        encoding: 'utf8',
      });
      assert.equal(result.status, 0, result.stdout);
    }
  });
});

describe('docker-compose-production.yml checks catch broken samples', () => {
  const sample = (): Compose => structuredClone(production);

  it('a published database port, a missing Caddy port', () => {
    const broken = sample();
    broken.services.db!.ports = ['5432:5432'];
    broken.services.caddy!.ports = ['80:80'];
    assert.equal(publishProblems(broken.services).length, 2);
  });

  it('no healthcheck, no restart, a list depends_on', () => {
    const broken = sample();
    delete broken.services.frontend!.healthcheck;
    delete broken.services.storage!.restart;
    broken.services.backend!.depends_on = ['db'];
    assert.equal(healthAndRestartProblems(broken.services).length, 3);
  });

  it('a data volume missing, an undeclared one, no backups mount', () => {
    const broken = sample();
    broken.services.db!.volumes = ['pgdata:/var/lib/postgresql'];
    broken.services.backend!.volumes = (broken.services.backend!.volumes ?? []).filter(
      (v) => !v.startsWith('./backups'),
    );
    assert.deepEqual(volumeProblems(broken).sort(), [
      'backend does not bind-mount ./backups',
      'db does not mount postgres_data',
      'db mounts pgdata, which is not a declared volume',
    ]);
  });

  it('drift from docker-compose.yml, an undefined variable, a root Dockerfile', () => {
    const broken = sample();
    broken.services.backend!.environment = { ...broken.services.backend!.environment, API_KEY: 'x' };
    delete broken.services.realtime;
    assert.deepEqual(driftProblems(broken, development).sort(), [
      'backend.environment.API_KEY differs',
      'realtime of docker-compose.yml is missing',
    ]);
    assert.deepEqual(variableProblems('x: ${NOT_IN_ENV_EXAMPLE}\ny: ${WITH_DEFAULT:-1}'), [
      '${NOT_IN_ENV_EXAMPLE} is not in .env.example',
    ]);
    assert.deepEqual(
      dockerfileProblems('FROM node:latest\nRUN apt-get install -y curl\nCMD ["node"]\n').sort(),
      [
        'a FROM uses :latest',
        'apt-get install without --no-install-recommends',
        'no HEALTHCHECK',
        'runs as root (no USER)',
      ],
    );
  });
});
