// Shared by the backups suites: a backend with its own backups and storage folders, archives made by hand (to
// craft bad ones), and fingerprints of a database and a storage folder to compare before and after a restore.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { Header } from 'tar';
import { createPool } from '@selfdb/common';
import { loadConfig } from '../src/config.ts';
import { createBackupsService } from '../src/modules/backups/backups.service.ts';
import { RestoreTokens } from '../src/modules/backups/restore-token.ts';
import { loaderRolePrefix } from '../src/modules/backups/staging.ts';
import { API_KEY, startTestApp, type TestApp, testEnv } from './helpers.ts';

export const FIXTURE = new URL('./fixtures/selfdb_backup_20251205_143022.tar.gz', import.meta.url).pathname;

export interface BackupsTestApp extends TestApp {
  backupsDir: string;
  storageDir: string;
  root: string;
  /** RESTORE_TOKEN_FILE of this backend. */
  restoreTokenFile: string;
  /** The one-time restore token, as the backend makes it when it starts on a fresh install. */
  restoreToken: string;
}

/**
 * A backend on a fresh database (not initialized: nobody logged in) with its own backups and storage folders, and
 * the restore token a fresh install gets when it starts (tests never listen, so it is made here, in the same file).
 */
export async function startBackupsApp(overrides: Record<string, string> = {}): Promise<BackupsTestApp> {
  const root = mkdtempSync(join(tmpdir(), 'selfdb-backups-'));
  const restoreTokenFile = join(root, 'restore-token');
  const backupsDir = join(root, 'backups');
  const storageDir = join(root, 'storage');
  mkdirSync(backupsDir);
  mkdirSync(storageDir);
  writeFileSync(join(root, 'env'), 'API_KEY=from-the-env-file\n');
  const started = await startTestApp({
    BACKUPS_DIR: backupsDir,
    STORAGE_DATA_PATH: storageDir,
    BACKUP_ENV_FILE: join(root, 'env'),
    BACKUP_SCHEDULE_CRON: 'off',
    RESTORE_TOKEN_FILE: restoreTokenFile,
    ...overrides,
  });
  return {
    ...started,
    root,
    backupsDir,
    storageDir,
    restoreTokenFile,
    restoreToken: await new RestoreTokens(restoreTokenFile).issue(),
    async close() {
      await started.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Every table's rows (md5 over the sorted text of each row), keyed by table: equal fingerprints, equal data. */
export async function databaseFingerprint(url: string, skip: string[] = []): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ key: string }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND n.nspname NOT LIKE 'pg\\_%'
       ORDER BY 1`,
    );
    const result: Record<string, string> = {};
    for (const { key } of tables) {
      if (skip.includes(key)) continue;
      const { rows } = await client.query<{ digest: string | null; n: number }>(
        `SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS digest, count(*)::int AS n FROM ${key} t`,
      );
      result[key] = `${rows[0]?.n}:${rows[0]?.digest ?? ''}`;
    }
    return result;
  } finally {
    await client.end();
  }
}

/** path → SHA-256 of every file below `dir` (folders that hold nothing are listed with an empty hash). */
export function folderFingerprint(dir: string, prefix = ''): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory())
      Object.assign(result, folderFingerprint(dir, relative), { [`${relative}/`]: '' });
    else
      result[relative] = createHash('sha256')
        .update(readFileSync(join(dir, relative)))
        .digest('hex');
  }
  return result;
}

export type CraftedMember =
  | { name: string; data: string | Buffer }
  | { name: string; type: 'Directory' }
  | { name: string; type: 'SymbolicLink' | 'Link'; linkpath: string };

/** A .tar.gz made byte by byte (node-tar's header encoder), so that names tar itself would refuse can be tested. */
export function craftArchive(members: CraftedMember[], options: { endMarker?: boolean } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const member of members) {
    const data = 'data' in member ? Buffer.from(member.data) : Buffer.alloc(0);
    const type = 'type' in member ? member.type : 'File';
    const header = new Header({
      path: member.name,
      mode: 0o644,
      size: data.length,
      mtime: new Date(),
      type,
      linkpath: 'linkpath' in member ? member.linkpath : undefined,
      uid: 0,
      gid: 0,
    });
    header.encode();
    blocks.push(header.block as Buffer, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (options.endMarker !== false) blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** `multipart/form-data` with one file field, for app.inject. */
function multipart(data: Buffer, field = 'file', filename = 'backup.tar.gz') {
  const boundary = `----selfdb${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
        'Content-Type: application/gzip\r\n\r\n',
    ),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export interface RestoreCallOptions {
  field?: string;
  /** X-Restore-Token: the app's own token by default; null sends none. */
  token?: string | null;
  /** A bearer token. */
  bearer?: string;
}

/** POST /backups/restore with `data` as the file field and, by default, the app's restore token. */
export async function uploadRestore(t: BackupsTestApp, data: Buffer, options: RestoreCallOptions = {}) {
  const { payload, headers } = multipart(data, options.field ?? 'file');
  const token = options.token === undefined ? t.restoreToken : options.token;
  const response = await t.app.inject({
    method: 'POST',
    url: '/backups/restore',
    headers: {
      ...headers,
      'x-api-key': API_KEY,
      ...(token === null ? {} : { 'x-restore-token': token }),
      ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
    },
    payload,
  });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

/** GET /backups/{filename}/download as an admin: the raw response. */
export const downloadArchive = (app: FastifyInstance, filename: string, token: string) =>
  app.inject({
    method: 'GET',
    url: `/backups/${filename}/download`,
    headers: { 'x-api-key': API_KEY, authorization: `Bearer ${token}` },
  });

/**
 * What backups, restores and verifications leave behind when they go wrong: staging, previous and throwaway
 * databases (`<db>__…`), loader roles, and `.selfdb-` work files in the storage and backups folders. Empty when all
 * is clean.
 */
export async function leftovers(t: BackupsTestApp): Promise<string[]> {
  const databases = await query<{ datname: string }>(
    t.db.directUrl,
    "SELECT datname FROM pg_database WHERE datname LIKE $1 || '\\_\\_%' ORDER BY 1",
    [t.db.name],
  );
  const roles = await query<{ rolname: string }>(
    t.db.directUrl,
    'SELECT rolname FROM pg_roles WHERE left(rolname, length($1)) = $1 OR left(rolname, length($2)) = $2 ORDER BY 1',
    [loaderRolePrefix(t.db.name), loaderRolePrefix(t.db.name, 'verify')],
  );
  return [
    ...databases.map((row) => row.datname),
    ...roles.map((row) => `role ${row.rolname}`),
    ...readdirSync(t.storageDir)
      .filter((name) => name.startsWith('.selfdb-'))
      .map((name) => `storage/${name}`),
    ...readdirSync(t.backupsDir)
      .filter((name) => name.startsWith('.selfdb-'))
      .map((name) => `backups/${name}`),
  ];
}

/** The backups service as the CLI builds it (direct connections, no HTTP), on a test app's database and folders. */
export function cliService(t: BackupsTestApp, overrides: Record<string, string> = {}) {
  const config = loadConfig(
    testEnv(t.db, {
      BACKUPS_DIR: t.backupsDir,
      STORAGE_DATA_PATH: t.storageDir,
      BACKUP_ENV_FILE: 'none',
      ...overrides,
    }),
  );
  const pool = createPool(config.directDatabaseUrl, { max: 2 });
  const lines: string[] = [];
  const log = {
    info: (message: string) => lines.push(message),
    warn: (message: string) => lines.push(message),
    error: (message: string) => lines.push(message),
  };
  return { service: createBackupsService(config, pool, log), pool, lines, close: () => pool.end() };
}
