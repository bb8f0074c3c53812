import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;
// One constant key for pg_advisory_lock: every backend that starts waits here, so migrations never race.
const MIGRATION_LOCK_KEY = 7_345_001;

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

/**
 * Applies the pending `NNNN_name.sql` files of `dir` in order, each in its own transaction, over a direct (not
 * pooled) connection under one advisory lock. Refuses (MigrationError) when an applied file was edited or removed.
 * Returns the names applied by this call.
 */
export async function runMigrations(directUrl: string, dir: string, log: Log): Promise<string[]> {
  const files = await readMigrationFiles(dir);
  const client = new pg.Client({ connectionString: directUrl, application_name: 'selfdb-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS selfdb_migrations (
      name TEXT PRIMARY KEY,
      checksum CHAR(64) NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
    )`);
    const { rows } = await client.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM selfdb_migrations ORDER BY name',
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
        await client.query(file.sql);
        await client.query('INSERT INTO selfdb_migrations (name, checksum) VALUES ($1, $2)', [
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
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end().catch(() => {});
  }
}
