// Static checks of the Docker set-up, which need no Docker engine: docker-compose.yml against .env.example, the
// Dockerfiles, the PgBouncer entrypoint and the backend's config defaults. Every check is a function returning
// the problems it finds; the last suite feeds each one a broken sample, so each is known to fail when it should.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose and Dockerfile text is full of literal ${VAR}s
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { NODE_FLAGS, RUNTIME_ENV, SERVICES, type Service as NodeService } from './build.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const readRepoFile = (path: string) => readFileSync(join(root, path), 'utf8');

type Env = Map<string, string>;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | PortMapping)[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  networks?: string[] | Record<string, unknown>;
}
/** The long syntax of a published port. */
interface PortMapping {
  target?: number | string;
  published?: number | string;
  host_ip?: string;
}
interface Compose {
  services: Record<string, Service>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
}
interface Instruction {
  keyword: string;
  args: string;
}

/** Parses KEY=VALUE lines as docker compose reads a .env file (comments and blank lines skipped). */
function parseEnvFile(text: string): Env {
  const env: Env = new Map();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (match) env.set(match[1]!, match[2]!.trim().replace(/^(['"])(.*)\1$/, '$2'));
  }
  return env;
}

/** Names of the variables a compose string interpolates: ${A}, ${A:-default}, ${A?err}, $A; `$$` is a literal $. */
function findVariables(text: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$') continue;
    if (text[i + 1] === '$') {
      i++;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (bare) {
      names.push(bare[0]);
      continue;
    }
    if (text[i + 1] !== '{') continue;
    let depth = 1;
    let end = i + 2;
    while (end < text.length && depth > 0) {
      if (text[end] === '{') depth++;
      if (text[end] === '}') depth--;
      end++;
    }
    const inner = text.slice(i + 2, end - 1);
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+](.*))?$/s.exec(inner);
    if (match) names.push(match[1]!, ...findVariables(match[2] ?? ''));
    i = end - 1;
  }
  return names;
}

/** Resolves a compose string with the given env, as compose would with that .env file. */
function interpolate(text: string, env: Env): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, colon?: string, fallback?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const value = env.get((braced ?? bare)!);
      if (value === undefined || (colon && value === '')) return fallback ?? '';
      return value;
    },
  );
}

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, child]) => [key, ...stringsIn(child)]);
  return [];
}

/** Variables the compose document uses (comments excluded) that .env.example does not define. */
function undefinedVariableProblems(compose: unknown, env: Env): string[] {
  const used = [...new Set(stringsIn(compose).flatMap(findVariables))].sort();
  return used.filter((name) => !env.has(name)).map((name) => `\${${name}} is not defined in .env.example`);
}

function environmentOf(service: Service): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((item) => {
        const at = item.indexOf('=');
        return at < 0 ? [item, ''] : [item.slice(0, at), item.slice(at + 1)];
      })
    : Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value ?? '')]);
  return Object.fromEntries(entries);
}

/** depends_on must wait for the dependency's healthcheck, on a service that exists and has one. */
function dependsOnProblems(services: Record<string, Service>): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    const dependsOn = service.depends_on;
    if (!dependsOn) continue;
    if (Array.isArray(dependsOn)) {
      problems.push(`${name}: depends_on is a list, so it does not wait for healthy services`);
      continue;
    }
    for (const [target, options] of Object.entries(dependsOn)) {
      if (options?.condition !== 'service_healthy')
        problems.push(`${name} -> ${target}: condition is not service_healthy`);
      if (!services[target]) problems.push(`${name} -> ${target}: no such service`);
      else if (!services[target].healthcheck)
        problems.push(`${name} -> ${target}: target has no healthcheck`);
    }
  }
  return problems;
}

function healthcheckProblems(services: Record<string, Service>): string[] {
  return Object.entries(services)
    .filter(([, service]) => {
      const check = service.healthcheck;
      const test = Array.isArray(check?.test) ? check.test : check?.test ? [check.test] : [];
      return !check || check.disable === true || test.length === 0 || test[0] === 'NONE';
    })
    .map(([name]) => `${name} has no healthcheck`);
}

/**
 * The backend builds its two database URLs itself (so any password works): the pooled one must reach the pgbouncer
 * service and the direct one the db service, on the ports they listen on.
 */
function databaseUrlProblems(services: Record<string, Service>, env: Env): string[] {
  const backend = environmentOf(services.backend ?? {});
  const pgbouncerPort = interpolate(environmentOf(services.pgbouncer ?? {}).LISTEN_PORT ?? '', env);
  const dbPort = interpolate(environmentOf(services.db ?? {}).PGPORT ?? '', env);
  const problems: string[] = [];
  const expectations = [
    ['PGBOUNCER_HOST', 'PGBOUNCER_PORT', 'pgbouncer', pgbouncerPort],
    ['POSTGRES_HOST', 'DB_PORT', 'db', dbPort],
  ] as const;
  for (const [hostVariable, portVariable, host, port] of expectations) {
    const actualHost = backend[hostVariable];
    const actualPort = interpolate(backend[portVariable] ?? '', env);
    if (actualHost !== host)
      problems.push(`backend ${hostVariable} is ${actualHost ?? 'unset'}, not ${host}`);
    if (actualPort !== port)
      problems.push(`backend ${portVariable} is ${actualPort || 'unset'}, but ${host} listens on ${port}`);
    if (!services[host]) problems.push(`${hostVariable} points at ${host}, which is not a service`);
  }
  for (const variable of ['DATABASE_URL', 'DIRECT_DATABASE_URL']) {
    if (backend[variable])
      problems.push(`backend sets ${variable}, which overrides the host and port variables`);
  }
  return problems;
}

/**
 * Where each service may publish ports on the host: the API on every interface; PgBouncer and Postgres (and any
 * service not named here) on loopback only, for tools on the host; the internal services not at all.
 */
const PUBLISHING: Record<string, 'anywhere' | 'loopback' | 'nowhere'> = {
  backend: 'anywhere',
  // The dashboard is the API's other face: it signs in through the API and proxies it.
  frontend: 'anywhere',
  realtime: 'nowhere',
  storage: 'nowhere',
  functions: 'nowhere',
};
const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

/** The host address a published port binds to, resolved with `env`; '' means every interface. */
function hostAddressOf(port: string | number | PortMapping, env: Env): string {
  if (typeof port === 'object') return interpolate(port.host_ip ?? '', env);
  const text = interpolate(String(port), env).replace(/\/(tcp|udp)$/, '');
  const ipv6 = /^\[([^\]]+)\]:[^:]+:[^:]+$/.exec(text);
  if (ipv6) return ipv6[1]!;
  const parts = text.split(':');
  return parts.length === 3 ? parts[0]! : '';
}

/** Ports published beyond what PUBLISHING allows: the database must never be reachable from the network. */
function publishedPortProblems(services: Record<string, Service>, env: Env): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    const policy = PUBLISHING[name] ?? 'loopback';
    for (const port of service.ports ?? []) {
      const shown = typeof port === 'object' ? JSON.stringify(port) : String(port);
      const address = hostAddressOf(port, env);
      if (policy === 'nowhere') problems.push(`${name} publishes ${shown}, but it is internal`);
      else if (policy === 'loopback' && !LOOPBACK.has(address))
        problems.push(`${name} publishes ${shown} on ${address || 'every interface'}, not 127.0.0.1`);
    }
  }
  return problems;
}

/**
 * A PgBouncer config we ship (its writer's source) must reset every server connection after each transaction, also
 * in transaction pooling, and list selfdb_app (what the backend logs in as) in the auth file.
 */
function pgbouncerResetProblems(name: string, source: string): string[] {
  const problems: string[] = [];
  if (!source.includes('server_reset_query = DISCARD ALL'))
    problems.push(`${name}: no server_reset_query = DISCARD ALL`);
  const always = /server_reset_query_always = ([^\s'",]+)/.exec(source)?.[1];
  if (!always || !/^(1|\$\{SERVER_RESET_QUERY_ALWAYS(:-1)?\})$/.test(always))
    problems.push(`${name}: server_reset_query_always is ${always ?? 'unset'}, not 1 by default`);
  if (!/selfdb_app|DB_ROLES\.app/.test(source)) problems.push(`${name}: selfdb_app is not in the auth file`);
  return problems;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(current);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
    current = '';
  }
  return instructions;
}

function finalStage(instructions: Instruction[]): Instruction[] {
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  return lastFrom < 0 ? [] : instructions.slice(lastFrom);
}

/** The image must end with a USER that is not root. */
function rootUserProblems(dockerfile: string): string[] {
  const users = finalStage(parseDockerfile(dockerfile)).filter((i) => i.keyword === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (!user) return ['the runtime stage sets no USER, so it runs as root'];
  return user === 'root' || user === '0' ? [`the runtime stage runs as ${user}`] : [];
}

/** The first default of each ARG, across all stages. */
function argDefaults(instructions: Instruction[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const { keyword, args: text } of instructions) {
    const match = keyword === 'ARG' ? /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(text) : null;
    if (match && !args.has(match[1]!)) args.set(match[1]!, match[2]!);
  }
  return args;
}

/** ENV values set by the given instructions. */
function envValues(instructions: Instruction[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const { args } of instructions.filter((i) => i.keyword === 'ENV')) {
    for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      env.set(match[1]!, match[2]!.replace(/^"(.*)"$/, '$1'));
    }
  }
  return env;
}

/** PgBouncer is built from the 1.25.1 tarball, checked against a pinned SHA-256 before it is unpacked. */
function pgbouncerPinProblems(dockerfile: string): string[] {
  const instructions = parseDockerfile(dockerfile);
  const args = argDefaults(instructions);
  const problems: string[] = [];
  if (args.get('PGBOUNCER_VERSION') !== '1.25.1') problems.push('PGBOUNCER_VERSION is not pinned to 1.25.1');
  if (!/^[0-9a-f]{64}$/.test(args.get('PGBOUNCER_SHA256') ?? ''))
    problems.push('PGBOUNCER_SHA256 is not a 64-hex SHA-256');
  const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const download = runs.find((run) =>
    run.includes('pgbouncer.org/downloads/files/${PGBOUNCER_VERSION}/pgbouncer-${PGBOUNCER_VERSION}.tar.gz'),
  );
  if (!download) problems.push('no RUN downloads the official tarball for ${PGBOUNCER_VERSION}');
  else {
    const check = download.search(/\$\{PGBOUNCER_SHA256\}[^&;|]*\|\s*sha256sum -c/);
    const unpack = download.search(/\btar\b[^&;|]*-[a-z]*x/);
    if (check < 0) problems.push('the download is not checked with sha256sum -c against ${PGBOUNCER_SHA256}');
    else if (unpack >= 0 && unpack < check)
      problems.push('the tarball is unpacked before its checksum is checked');
  }
  return problems;
}

/** MIGRATIONS_DIR must be where the final stage copies database/migrations. */
function migrationsDirProblems(dockerfile: string): string[] {
  const stage = finalStage(parseDockerfile(dockerfile));
  const dir = envValues(stage).get('MIGRATIONS_DIR');
  if (!dir) return ['the runtime stage does not set MIGRATIONS_DIR'];
  let workdir = '/';
  for (const { keyword, args } of stage) {
    if (keyword === 'WORKDIR') workdir = posix.resolve(workdir, args);
    if (keyword !== 'COPY' || args.startsWith('--from')) continue;
    const parts = args.split(/\s+/).filter((part) => !part.startsWith('--'));
    const destination = parts.at(-1)!;
    if (parts.slice(0, -1).some((source) => source.replace(/\/$/, '') === 'database/migrations')) {
      const copiedTo = posix.resolve(workdir, destination);
      return copiedTo === posix.resolve(dir) ? [] : [`migrations are copied to ${copiedTo}, not ${dir}`];
    }
  }
  return ['the runtime stage does not copy database/migrations'];
}

function defaultIn(source: string, pattern: RegExp, what: string): string {
  const match = pattern.exec(source);
  assert.ok(
    match,
    `cannot find the default of ${what}; update scripts/compose.test.ts if the source changed`,
  );
  return match[1]!;
}

const envExample = parseEnvFile(readRepoFile('.env.example'));
const compose = parse(readRepoFile('docker-compose.yml')) as Compose;
const services = compose.services;
const configSource = readRepoFile('backend/src/config.ts');
const entrypoint = readRepoFile('pgbouncer/entrypoint.sh');
const backendDockerfile = readRepoFile('backend/Dockerfile');
const pgbouncerDockerfile = readRepoFile('pgbouncer/Dockerfile');
const commonConfigSource = readRepoFile('common/src/config.ts');

/** The variables a config.ts reads: its own `read.*('NAME')` calls, and those of the common readers it calls. */
function variablesRead(source: string): Set<string> {
  const names = (text: string) =>
    [...text.matchAll(/read\.(?:string|int|bool|list|raw)\(\s*'([A-Z0-9_]+)'/g)].map((m) => m[1]!);
  const shared = [...source.matchAll(/\b(read[A-Z]\w*)\(read\)/g)].flatMap(([, reader]) => {
    const start = commonConfigSource.indexOf(`export function ${reader}(`);
    assert.ok(start >= 0, `${reader} is not in common/src/config.ts; update scripts/compose.test.ts`);
    return names(commonConfigSource.slice(start, commonConfigSource.indexOf('\n}\n', start)));
  });
  return new Set([...names(source), ...shared]);
}

const configVariables = variablesRead(configSource);
const entrypointVariables = new Set(
  [...entrypoint.matchAll(/(?:load_var|require_var) ([A-Z0-9_]+)/g)].map((m) => m[1]!),
);
const codeDefaults = {
  backend: defaultIn(configSource, /read\.int\('BACKEND_PORT', (\d+)/, 'BACKEND_PORT in config.ts'),
  pgbouncer: defaultIn(configSource, /read\.int\('PGBOUNCER_PORT', (\d+)/, 'PGBOUNCER_PORT in config.ts'),
  db: defaultIn(configSource, /read\.int\('DB_PORT', (\d+)/, 'DB_PORT in config.ts'),
};

describe('docker-compose.yml', () => {
  it('has db, pgbouncer and backend, every service on selfdb-network', () => {
    for (const name of ['db', 'pgbouncer', 'backend']) assert.ok(services[name], `no ${name} service`);
    assert.ok(compose.networks && 'selfdb-network' in compose.networks, 'selfdb-network is not declared');
    for (const [name, service] of Object.entries(services)) {
      const networks = Array.isArray(service.networks)
        ? service.networks
        : Object.keys(service.networks ?? {});
      assert.ok(networks.includes('selfdb-network'), `${name} is not on selfdb-network`);
    }
  });

  it('builds from contexts and Dockerfiles that exist', () => {
    const builds = Object.entries(services).filter(([, service]) => service.build);
    assert.ok(
      services.backend?.build && services.pgbouncer?.build,
      'backend and pgbouncer must be built here',
    );
    for (const [name, { build }] of builds) {
      const context = typeof build === 'string' ? build : (build?.context ?? '.');
      const dockerfile = (typeof build === 'object' && build.dockerfile) || 'Dockerfile';
      assert.ok(existsSync(join(root, context)) && statSync(join(root, context)).isDirectory(), name);
      assert.ok(existsSync(join(root, context, dockerfile)), `${name}: ${context}/${dockerfile} is missing`);
    }
    assert.equal(services.db?.image, 'postgres:18');
  });

  it('uses only variables defined in .env.example', () => {
    assert.ok(findVariables(readRepoFile('docker-compose.yml')).length > 10, 'found almost no variables');
    assert.deepEqual(undefinedVariableProblems(compose, envExample), []);
  });

  it('sets only variables that the backend and the PgBouncer entrypoint read', () => {
    const unread = (service: string, known: Set<string>) =>
      Object.keys(environmentOf(services[service] ?? {})).filter((name) => !known.has(name));
    assert.deepEqual(unread('backend', configVariables), []);
    assert.deepEqual(unread('pgbouncer', entrypointVariables), []);
  });

  it('uses the ports of the code defaults, inside and outside the containers', () => {
    assert.equal(envExample.get('BACKEND_PORT'), codeDefaults.backend);
    assert.equal(envExample.get('PGBOUNCER_PORT'), codeDefaults.pgbouncer);
    assert.equal(envExample.get('DB_PORT'), codeDefaults.db);
    const resolved = (service: string, name: string) =>
      interpolate(environmentOf(services[service] ?? {})[name] ?? '', envExample);
    assert.equal(resolved('backend', 'BACKEND_PORT'), codeDefaults.backend);
    assert.equal(resolved('backend', 'BACKEND_HOST'), '0.0.0.0');
    assert.equal(resolved('pgbouncer', 'LISTEN_PORT'), codeDefaults.pgbouncer);
    assert.equal(resolved('pgbouncer', 'DATABASES_HOST'), 'db');
    assert.equal(resolved('pgbouncer', 'DATABASES_PORT'), codeDefaults.db);
    assert.equal(resolved('db', 'PGPORT'), codeDefaults.db);
    const published = (service: string) =>
      (services[service]?.ports ?? []).map((port) => interpolate(String(port), envExample));
    assert.deepEqual(published('backend'), [`${codeDefaults.backend}:${codeDefaults.backend}`]);
    assert.deepEqual(published('pgbouncer'), [
      `127.0.0.1:${codeDefaults.pgbouncer}:${codeDefaults.pgbouncer}`,
    ]);
    assert.deepEqual(published('db'), []);
  });

  it('publishes the API and the dashboard only: PgBouncer on 127.0.0.1, Postgres, realtime and storage not at all', () => {
    assert.deepEqual(publishedPortProblems(services, envExample), []);
    // Written in the file, not taken from a variable that a .env could set to 0.0.0.0.
    assert.equal(services.pgbouncer?.ports?.[0], '127.0.0.1:${PGBOUNCER_PORT}:${PGBOUNCER_PORT}');
  });

  it('sends the pooled URL through pgbouncer and the direct URL to db', () => {
    assert.deepEqual(databaseUrlProblems(services, envExample), []);
  });

  it('starts each service after its dependencies are healthy', () => {
    assert.deepEqual(Object.keys(services.backend?.depends_on ?? {}).sort(), ['db', 'pgbouncer', 'storage']);
    assert.deepEqual(Object.keys(services.pgbouncer?.depends_on ?? {}), ['db']);
    assert.deepEqual(dependsOnProblems(services), []);
  });

  it('gives every service a healthcheck', () => {
    assert.deepEqual(healthcheckProblems(services), []);
    assert.ok(JSON.stringify(services.backend?.healthcheck?.test).includes('/health'));
  });

  it('keeps data in volumes: postgres_data for db, ./backups for backend', () => {
    assert.ok(services.db?.volumes?.includes('postgres_data:/var/lib/postgresql'));
    assert.ok(compose.volumes && 'postgres_data' in compose.volumes, 'postgres_data is not declared');
    assert.ok(services.backend?.volumes?.includes('./backups:/backups'));
  });
});

/**
 * A Node service's image must run the bundle scripts/build.ts makes in a build stage of that same image (no
 * TypeScript loader at run time), and copy it from there.
 */
function bundleProblems(dockerfile: string, service: NodeService): string[] {
  const instructions = parseDockerfile(dockerfile);
  const problems: string[] = [];
  const buildStage = instructions.findIndex((i) => i.keyword === 'FROM' && / AS build$/i.test(i.args));
  if (buildStage < 0) problems.push('no build stage');
  const nextFrom = instructions.findIndex((i, index) => index > buildStage && i.keyword === 'FROM');
  const runs = instructions.slice(buildStage, nextFrom).filter((i) => i.keyword === 'RUN');
  if (!runs.some((i) => i.args === `node --import tsx scripts/build.ts ${service}`))
    problems.push('the build stage does not run scripts/build.ts for this service');
  const stage = finalStage(instructions);
  if (
    !stage.some((i) => i.keyword === 'COPY' && i.args === `--from=build /app/${service}/dist ${service}/dist`)
  )
    problems.push('the runtime stage does not copy the bundle from the build stage');
  const cmd = JSON.parse(stage.find((i) => i.keyword === 'CMD')?.args ?? '[]') as unknown;
  if (!isDeepStrictEqual(cmd, ['node', ...NODE_FLAGS[service], 'dist/server.js']))
    problems.push('the image does not run dist/server.js with the flags of scripts/build.ts');
  const env = envValues(stage);
  for (const [name, value] of Object.entries(RUNTIME_ENV[service])) {
    if (env.get(name) !== value) problems.push(`the image does not set ${name}=${value} (scripts/build.ts)`);
  }
  return problems;
}

describe('Dockerfiles', () => {
  it('run each Node service as the bundle made in their own build stage', () => {
    for (const service of SERVICES) {
      assert.deepEqual(bundleProblems(readRepoFile(`${service}/Dockerfile`), service), [], service);
    }
    const broken = readRepoFile('storage/Dockerfile').replace('scripts/build.ts storage', 'scripts/build.ts');
    assert.deepEqual(bundleProblems(broken, 'storage'), [
      'the build stage does not run scripts/build.ts for this service',
    ]);
    const untuned = readRepoFile('backend/Dockerfile').replace('MALLOC_ARENA_MAX=2', 'MALLOC_ARENA_MAX=8');
    assert.deepEqual(bundleProblems(untuned, 'backend'), [
      'the image does not set MALLOC_ARENA_MAX=2 (scripts/build.ts)',
    ]);
  });

  it('run their runtime stage as a non-root user', () => {
    assert.deepEqual(rootUserProblems(backendDockerfile), []);
    assert.deepEqual(rootUserProblems(pgbouncerDockerfile), []);
  });

  it('backend: node 20 on bookworm, PostgreSQL 18 client, migrations where MIGRATIONS_DIR says', () => {
    const instructions = parseDockerfile(backendDockerfile);
    assert.equal(argDefaults(instructions).get('NODE_IMAGE'), 'node:20-bookworm-slim');
    assert.equal(argDefaults(instructions).get('PG_CLIENT_MAJOR'), '18');
    assert.match(backendDockerfile, /postgresql-client-\$\{PG_CLIENT_MAJOR\}/);
    assert.match(backendDockerfile, /apt\.postgresql\.org\/pub\/repos\/apt \$\{VERSION_CODENAME\}-pgdg/);
    assert.deepEqual(migrationsDirProblems(backendDockerfile), []);
    const stage = finalStage(instructions);
    assert.equal(envValues(stage).get('BACKEND_HOST'), '0.0.0.0');
    assert.equal(envValues(stage).get('BACKEND_PORT'), codeDefaults.backend);
    assert.ok(stage.some((i) => i.keyword === 'EXPOSE' && i.args === codeDefaults.backend));
    const healthcheck = stage.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
    assert.match(healthcheck, /127\.0\.0\.1.*BACKEND_PORT.*\/health/);
  });

  it('pgbouncer: pins 1.25.1 and verifies its SHA-256, listens on the default port', () => {
    assert.deepEqual(pgbouncerPinProblems(pgbouncerDockerfile), []);
    const stage = finalStage(parseDockerfile(pgbouncerDockerfile));
    assert.ok(stage.some((i) => i.keyword === 'EXPOSE' && i.args === codeDefaults.pgbouncer));
    assert.equal(defaultIn(entrypoint, /load_var LISTEN_PORT (\d+)/, 'LISTEN_PORT'), codeDefaults.pgbouncer);
    assert.equal(defaultIn(entrypoint, /load_var AUTH_TYPE (\S+)/, 'AUTH_TYPE'), 'scram-sha-256');
    assert.equal(environmentOf(services.pgbouncer ?? {}).AUTH_TYPE, 'scram-sha-256');
  });
});

describe('realtime service', () => {
  const realtime = services.realtime ?? {};
  const realtimeSource = readRepoFile('realtime/src/config.ts');
  const realtimeVariables = variablesRead(realtimeSource);
  const resolved = (name: string) => interpolate(environmentOf(realtime)[name] ?? '', envExample);

  it('is built from realtime/Dockerfile, waits for db, and connects straight to db (LISTEN needs a session)', () => {
    assert.deepEqual(realtime.build, { context: '.', dockerfile: 'realtime/Dockerfile' });
    assert.deepEqual(Object.keys(realtime.depends_on ?? {}), ['db']);
    assert.equal(resolved('POSTGRES_HOST'), 'db');
    assert.equal(resolved('DB_PORT'), interpolate(environmentOf(services.db ?? {}).PGPORT ?? '', envExample));
    assert.equal(environmentOf(realtime).DIRECT_DATABASE_URL, undefined);
    assert.ok(JSON.stringify(realtime.healthcheck?.test).includes('/health'));
  });

  it('listens on REALTIME_INTERNAL_PORT (the code default), where the backend tunnels /realtime/socket to', () => {
    const port = defaultIn(
      realtimeSource,
      /read\.int\('REALTIME_INTERNAL_PORT', (\d+)/,
      'REALTIME_INTERNAL_PORT',
    );
    assert.equal(envExample.get('REALTIME_INTERNAL_PORT'), port);
    assert.equal(resolved('REALTIME_INTERNAL_PORT'), port);
    assert.equal(resolved('REALTIME_HOST'), '0.0.0.0');
    assert.equal(
      interpolate(environmentOf(services.backend ?? {}).REALTIME_URL ?? '', envExample),
      `http://realtime:${port}`,
    );
    assert.deepEqual(realtime.ports ?? [], []);
  });

  it('sets only variables the realtime config reads, and its image runs as a non-root user', () => {
    assert.deepEqual(
      Object.keys(environmentOf(realtime)).filter((name) => !realtimeVariables.has(name)),
      [],
    );
    const dockerfile = readRepoFile('realtime/Dockerfile');
    assert.deepEqual(rootUserProblems(dockerfile), []);
    const stage = finalStage(parseDockerfile(dockerfile));
    assert.equal(envValues(stage).get('REALTIME_HOST'), '0.0.0.0');
    assert.ok(
      stage.some((i) => i.keyword === 'EXPOSE' && i.args === envExample.get('REALTIME_INTERNAL_PORT')),
    );
    assert.match(
      stage.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '',
      /REALTIME_INTERNAL_PORT.*\/health/,
    );
  });

  it('documents every variable the realtime config reads in docs/ENVS.md', () => {
    const docs = readRepoFile('docs/ENVS.md');
    assert.ok(realtimeVariables.size > 10, 'found too few variables to check');
    assert.deepEqual(
      [...realtimeVariables].filter((name) => !docs.includes(`\`${name}\``)),
      [],
    );
  });
});

describe('storage service', () => {
  const storage = services.storage ?? {};
  const storageSource = readRepoFile('storage/src/config.ts');
  const storageVariables = variablesRead(storageSource);
  const resolved = (name: string) => interpolate(environmentOf(storage)[name] ?? '', envExample);

  it('is built from storage/Dockerfile, keeps its bytes in the storage_data volume, and is internal', () => {
    assert.deepEqual(storage.build, { context: '.', dockerfile: 'storage/Dockerfile' });
    assert.ok(storage.volumes?.includes('storage_data:/data'));
    assert.ok(compose.volumes && 'storage_data' in compose.volumes, 'storage_data is not declared');
    assert.equal(resolved('STORAGE_PATH'), '/data');
    assert.deepEqual(storage.ports ?? [], []);
    assert.ok(JSON.stringify(storage.healthcheck?.test).includes('/health'));
  });

  it('listens on STORAGE_INTERNAL_PORT (the code default), where the backend sends file bytes', () => {
    const port = defaultIn(
      storageSource,
      /read\.int\('STORAGE_INTERNAL_PORT', (\d+)/,
      'STORAGE_INTERNAL_PORT',
    );
    assert.equal(envExample.get('STORAGE_INTERNAL_PORT'), port);
    assert.equal(resolved('STORAGE_INTERNAL_PORT'), port);
    assert.equal(resolved('STORAGE_HOST'), '0.0.0.0');
    const backend = environmentOf(services.backend ?? {});
    assert.equal(backend.STORAGE_HOST, 'storage');
    assert.equal(interpolate(backend.STORAGE_INTERNAL_PORT ?? '', envExample), port);
  });

  it('sets only variables the storage config reads, and its image runs as a non-root user', () => {
    assert.deepEqual(
      Object.keys(environmentOf(storage)).filter((name) => !storageVariables.has(name)),
      [],
    );
    const dockerfile = readRepoFile('storage/Dockerfile');
    assert.deepEqual(rootUserProblems(dockerfile), []);
    const stage = finalStage(parseDockerfile(dockerfile));
    assert.equal(envValues(stage).get('STORAGE_HOST'), '0.0.0.0');
    assert.equal(envValues(stage).get('STORAGE_PATH'), '/data');
    assert.ok(
      stage.some((i) => i.keyword === 'EXPOSE' && i.args === envExample.get('STORAGE_INTERNAL_PORT')),
    );
    assert.match(
      stage.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '',
      /STORAGE_INTERNAL_PORT.*\/health/,
    );
  });

  it('documents every variable the storage config reads in docs/ENVS.md', () => {
    const docs = readRepoFile('docs/ENVS.md');
    assert.ok(storageVariables.size >= 6, 'found too few variables to check');
    assert.deepEqual(
      [...storageVariables].filter((name) => !docs.includes(`\`${name}\``)),
      [],
    );
  });
});

describe('functions service', () => {
  const functions = services.functions ?? {};
  const functionsSource = readRepoFile('functions/src/config.ts');
  const functionsVariables = variablesRead(functionsSource);
  const resolved = (name: string) => interpolate(environmentOf(functions)[name] ?? '', envExample);

  it('is built from functions/Dockerfile, internal (no published port), with a healthcheck', () => {
    assert.deepEqual(functions.build, { context: '.', dockerfile: 'functions/Dockerfile' });
    assert.deepEqual(functions.ports ?? [], []);
    assert.ok(JSON.stringify(functions.healthcheck?.test).includes('/health'));
  });

  it('listens on FUNCTIONS_INTERNAL_PORT (the code default), where the backend calls it; calls back the backend', () => {
    const port = defaultIn(
      functionsSource,
      /read\.int\('FUNCTIONS_INTERNAL_PORT', (\d+)/,
      'FUNCTIONS_INTERNAL_PORT',
    );
    assert.equal(envExample.get('FUNCTIONS_INTERNAL_PORT'), port);
    assert.equal(resolved('FUNCTIONS_INTERNAL_PORT'), port);
    assert.equal(resolved('FUNCTIONS_HOST'), '0.0.0.0');
    const backend = environmentOf(services.backend ?? {});
    assert.equal(backend.FUNCTIONS_HOST, 'functions');
    assert.equal(interpolate(backend.FUNCTIONS_INTERNAL_PORT ?? '', envExample), port);
    assert.equal(resolved('BACKEND_URL'), `http://backend:${codeDefaults.backend}`);
  });

  it('sets only variables the functions config reads, and its image runs as a non-root user', () => {
    assert.deepEqual(
      Object.keys(environmentOf(functions)).filter((name) => !functionsVariables.has(name)),
      [],
    );
    const dockerfile = readRepoFile('functions/Dockerfile');
    assert.deepEqual(rootUserProblems(dockerfile), []);
    const stage = finalStage(parseDockerfile(dockerfile));
    assert.equal(envValues(stage).get('FUNCTIONS_HOST'), '0.0.0.0');
    assert.ok(
      stage.some((i) => i.keyword === 'EXPOSE' && i.args === envExample.get('FUNCTIONS_INTERNAL_PORT')),
    );
    assert.match(
      stage.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '',
      /FUNCTIONS_INTERNAL_PORT.*\/health/,
    );
  });

  it('documents every variable the functions config reads in docs/ENVS.md', () => {
    const docs = readRepoFile('docs/ENVS.md');
    assert.ok(functionsVariables.size >= 15, 'found too few variables to check');
    assert.deepEqual(
      [...functionsVariables].filter((name) => !docs.includes(`\`${name}\``)),
      [],
    );
  });
});

describe('least privilege and pool resets', () => {
  it('every PgBouncer config we ship resets server connections after each transaction and lists selfdb_app', () => {
    assert.deepEqual(pgbouncerResetProblems('pgbouncer/entrypoint.sh', entrypoint), []);
    assert.equal(
      defaultIn(entrypoint, /load_var SERVER_RESET_QUERY_ALWAYS (\d)/, 'SERVER_RESET_QUERY_ALWAYS'),
      '1',
    );
    assert.equal(envExample.get('SERVER_RESET_QUERY_ALWAYS'), '1');
    assert.equal(
      environmentOf(services.pgbouncer ?? {}).SERVER_RESET_QUERY_ALWAYS,
      '${SERVER_RESET_QUERY_ALWAYS}',
    );
    assert.deepEqual(pgbouncerResetProblems('native.sh', readRepoFile('scripts/native/native.sh')), []);
    assert.deepEqual(pgbouncerResetProblems('test-stack.ts', readRepoFile('scripts/lib/test-stack.ts')), []);
  });

  it('the backend requests and the realtime service log in as selfdb_app, not POSTGRES_USER', () => {
    assert.match(configSource, /postgresUrl\(\s*DB_ROLES\.app,/);
    assert.equal(environmentOf(services.realtime ?? {}).POSTGRES_USER, undefined);
    assert.match(readRepoFile('realtime/src/config.ts'), /withDatabaseUser\(direct, DB_ROLES\.app\)/);
    assert.ok('SQL_CONSOLE_SUPERUSER' in environmentOf(services.backend ?? {}));
  });

  it('reports a config that does not reset its server connections', () => {
    assert.deepEqual(pgbouncerResetProblems('x', "'server_reset_query_always = 0',"), [
      'x: no server_reset_query = DISCARD ALL',
      'x: server_reset_query_always is 0, not 1 by default',
      'x: selfdb_app is not in the auth file',
    ]);
  });
});

describe('docs/ENVS.md', () => {
  it('documents every variable of .env.example, the backend config and the PgBouncer entrypoint', () => {
    const docs = readRepoFile('docs/ENVS.md');
    const names = [...envExample.keys(), ...configVariables, ...entrypointVariables];
    assert.ok(names.length > 40, 'found too few variables to check');
    assert.deepEqual(
      [...new Set(names)].filter((name) => !docs.includes(`\`${name}\``)),
      [],
    );
  });
});

describe('the checks above catch broken input', () => {
  const env = parseEnvFile('# comment\nA=1\nB="two words"\nEMPTY=\n');

  it('parses .env files and finds every interpolation form', () => {
    assert.deepEqual(
      [...env.entries()],
      [
        ['A', '1'],
        ['B', 'two words'],
        ['EMPTY', ''],
      ],
    );
    assert.deepEqual(findVariables('x ${A} $$notvar $$${B} ${C:-d} ${D-e} ${E:?err} $F ${G:-${H}}'), [
      'A',
      'B',
      'C',
      'D',
      'E',
      'F',
      'G',
      'H',
    ]);
    assert.equal(interpolate('${A}:$A/${EMPTY:-x}/${EMPTY-y}/${MISSING:-z}/$$A', env), '1:1/x//z/$A');
  });

  it('reports undefined variables, but not in comments or escaped', () => {
    const doc = parse('# ${IN_COMMENT}\na: ${A}\nb: $$ESCAPED\nc: "${UNDEFINED:-x}"\n');
    assert.deepEqual(undefinedVariableProblems(doc, env), ['${UNDEFINED} is not defined in .env.example']);
  });

  it('reports depends_on without service_healthy, and services without healthcheck', () => {
    const broken: Record<string, Service> = {
      a: { depends_on: ['b'], healthcheck: { test: ['CMD', 'true'] } },
      b: { depends_on: { c: { condition: 'service_started' }, d: { condition: 'service_healthy' } } },
      c: { healthcheck: { test: ['NONE'] } },
    };
    assert.deepEqual(dependsOnProblems(broken), [
      'a: depends_on is a list, so it does not wait for healthy services',
      'b -> c: condition is not service_healthy',
      'b -> d: no such service',
    ]);
    assert.deepEqual(healthcheckProblems(broken), ['b has no healthcheck', 'c has no healthcheck']);
  });

  it('reports database URLs that skip pgbouncer or miss db', () => {
    const broken: Record<string, Service> = {
      db: { environment: { PGPORT: '7777' } },
      pgbouncer: { environment: { LISTEN_PORT: '6432' } },
      backend: {
        environment: { PGBOUNCER_HOST: 'db', PGBOUNCER_PORT: '1', DATABASE_URL: 'postgresql://u:p@db:1/x' },
      },
    };
    assert.deepEqual(databaseUrlProblems(broken, env), [
      'backend PGBOUNCER_HOST is db, not pgbouncer',
      'backend PGBOUNCER_PORT is 1, but pgbouncer listens on 6432',
      'backend POSTGRES_HOST is unset, not db',
      'backend DB_PORT is unset, but db listens on 7777',
      'backend sets DATABASE_URL, which overrides the host and port variables',
    ]);
  });

  it('reports database ports published beyond loopback, and internal services published at all', () => {
    const broken: Record<string, Service> = {
      db: { ports: ['${DB_PORT}:5432', '127.0.0.1:5433:5432'] },
      pgbouncer: { ports: ['0.0.0.0:6432:6432', '[::1]:6433:6432', { target: 6432, published: 6434 }] },
      backend: { ports: ['8000:8000'] },
      realtime: { ports: ['127.0.0.1:4000:4000'] },
      extra: { ports: [{ target: 1, published: 1, host_ip: '127.0.0.1' }, '9999'] },
    };
    assert.deepEqual(publishedPortProblems(broken, new Map([['DB_PORT', '5432']])), [
      'db publishes ${DB_PORT}:5432 on every interface, not 127.0.0.1',
      'pgbouncer publishes 0.0.0.0:6432:6432 on 0.0.0.0, not 127.0.0.1',
      'pgbouncer publishes {"target":6432,"published":6434} on every interface, not 127.0.0.1',
      'realtime publishes 127.0.0.1:4000:4000, but it is internal',
      'extra publishes 9999 on every interface, not 127.0.0.1',
    ]);
  });

  it('reports images that run as root, even when a build stage has a USER', () => {
    assert.deepEqual(rootUserProblems('FROM a AS build\nUSER app\nFROM b\nRUN true\n'), [
      'the runtime stage sets no USER, so it runs as root',
    ]);
    assert.deepEqual(rootUserProblems('FROM b\nUSER app\n# USER x\nUSER 0:0\n'), [
      'the runtime stage runs as 0',
    ]);
    assert.deepEqual(rootUserProblems('FROM b\nUSER root\nUSER app:app\n'), []);
  });

  it('reports an unpinned or unverified PgBouncer download', () => {
    const url =
      'https://www.pgbouncer.org/downloads/files/${PGBOUNCER_VERSION}/pgbouncer-${PGBOUNCER_VERSION}.tar.gz';
    assert.deepEqual(
      pgbouncerPinProblems(`FROM x\nARG PGBOUNCER_VERSION=1.24.0\nARG PGBOUNCER_SHA256=abc\n`),
      [
        'PGBOUNCER_VERSION is not pinned to 1.25.1',
        'PGBOUNCER_SHA256 is not a 64-hex SHA-256',
        'no RUN downloads the official tarball for ${PGBOUNCER_VERSION}',
      ],
    );
    const pinned = `FROM x\nARG PGBOUNCER_VERSION=1.25.1\nARG PGBOUNCER_SHA256=${'a'.repeat(64)}\n`;
    assert.deepEqual(pgbouncerPinProblems(`${pinned}RUN curl -o p.tgz ${url} && tar -xzf p.tgz\n`), [
      'the download is not checked with sha256sum -c against ${PGBOUNCER_SHA256}',
    ]);
    const early = `RUN curl -o p.tgz \\\n  ${url} && tar -xzf p.tgz && echo "\${PGBOUNCER_SHA256}  p.tgz" | sha256sum -c -\n`;
    assert.deepEqual(pgbouncerPinProblems(pinned + early), [
      'the tarball is unpacked before its checksum is checked',
    ]);
  });

  it('reports MIGRATIONS_DIR that does not match where the migrations are copied', () => {
    assert.deepEqual(
      migrationsDirProblems(
        'FROM a\nENV MIGRATIONS_DIR=/app/migrations\nWORKDIR /app\nCOPY database/migrations db/\n',
      ),
      ['migrations are copied to /app/db, not /app/migrations'],
    );
    assert.deepEqual(migrationsDirProblems('FROM a\nWORKDIR /app\nCOPY database/migrations db/\n'), [
      'the runtime stage does not set MIGRATIONS_DIR',
    ]);
    assert.deepEqual(
      migrationsDirProblems(
        'FROM a\nENV MIGRATIONS_DIR=/app/db\nWORKDIR /app\nCOPY database/migrations db/\n',
      ),
      [],
    );
  });
});
