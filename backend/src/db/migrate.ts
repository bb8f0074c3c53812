import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DB_ROLES, passwordOf } from '@selfdb/common';
import pg from 'pg';
import { secureDatabase } from './roles.ts';

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;
// One constant key for pg_advisory_lock: every backend that starts waits here, so migrations never race.
const MIGRATION_LOCK_KEY = 7_345_001;
/**
 * Migrations that need a superuser (event triggers, objects of the superuser). Every other one runs as selfdb_owner,
 * so the objects it makes are SelfDB's from the start and no function or trigger a console user could have changed
 * ever runs with superuser rights. A new migration that needs a superuser is added here.
 */
const SUPERUSER_MIGRATIONS = new Set(['0010_schema_change_log.sql', '0030_least_privilege.sql']);

export class MigrationError extends Error {
  override name = 'MigrationError';
}

interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

interface Log {
  info(message: string): void;
}

async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => MIGRATION_FILE.test(name)).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

export interface MigrationOptions {
  /** Password of SelfDB's login roles (POSTGRES_PASSWORD); default: the password in `directUrl`. */
  rolePassword?: string;
}

/**
 * Applies the pending `NNNN_name.sql` files of `dir` in order, each in its own transaction, over a direct (not
 * pooled) connection under one advisory lock. Refuses (MigrationError) when an applied file was edited or removed.
 * Connected as a superuser, it first creates or repairs SelfDB's roles and the ownership of every object
 * (roles.ts), runs each migration as selfdb_owner (SUPERUSER_MIGRATIONS excepted) with no trigger firing, and
 * repairs ownership again after migrations ran. Returns the names applied by this call.
 */
export async function runMigrations(
  directUrl: string,
  dir: string,
  log: Log,
  options: MigrationOptions = {},
): Promise<string[]> {
  const files = await readMigrationFiles(dir);
  const client = new pg.Client({ connectionString: directUrl, application_name: 'selfdb-migrate' });
  await client.connect();
  try {
    // The runner's own statements see only pg_catalog: as the superuser, a function or table that a console user or
    // an archive put in `public` (or a schema named after the user) must never be picked for one of its names.
    await client.query('SET search_path = pg_catalog, pg_temp');
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const security = { password: options.rolePassword ?? passwordOf(directUrl), log };
    const managed = await secureDatabase(client, security);
    await client.query('BEGIN');
    if (managed) await client.query('SET LOCAL session_replication_role = replica');
    await client.query(`CREATE TABLE IF NOT EXISTS public.selfdb_migrations (
      name TEXT PRIMARY KEY,
      checksum CHAR(64) NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
    )`);
    await client.query('COMMIT');
    const { rows } = await client.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM public.selfdb_migrations ORDER BY name',
    );
    const applied = new Map(rows.map((row) => [row.name, row.checksum]));
    const known = new Set(files.map((file) => file.name));
    for (const name of applied.keys()) {
      if (!known.has(name)) {
        throw new MigrationError(
          `The database has migration ${name}, which this version of SelfDB does not know: run the newer version, or restore a backup made by this one.`,
        );
      }
    }
    const done: string[] = [];
    for (const file of files) {
      const checksum = applied.get(file.name);
      if (checksum !== undefined) {
        if (checksum !== file.checksum) {
          throw new MigrationError(
            `Migration ${file.name} was edited after it was applied. Restore the original file and put the change in a new migration.`,
          );
        }
        continue;
      }
      log.info(`applying migration ${file.name}`);
      try {
        await client.query('BEGIN');
        if (managed) {
          // Triggers (and event triggers) stay quiet: a migration's own DDL and data fixes fire no user code.
          await client.query('SET LOCAL session_replication_role = replica');
          if (!SUPERUSER_MIGRATIONS.has(file.name)) await client.query(`SET LOCAL ROLE ${DB_ROLES.owner}`);
        }
        // Migration files are written for the usual search path (their CREATEs land in public).
        await client.query(`SET LOCAL search_path = "$user", public`);
        await client.query(file.sql);
        await client.query('SET LOCAL search_path = pg_catalog, pg_temp');
        if (managed) await client.query('RESET ROLE');
        await client.query('INSERT INTO public.selfdb_migrations (name, checksum) VALUES ($1, $2)', [
          file.name,
          file.checksum,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new MigrationError(
          `Migration ${file.name} failed and was rolled back: ${(err as Error).message}`,
        );
      }
      done.push(file.name);
    }
    // Objects the superuser migrations made are given to selfdb_owner, and their event triggers put back.
    if (managed && done.length > 0) await secureDatabase(client, security);
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end().catch(() => {});
  }
}
