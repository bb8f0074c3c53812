// Every SQL statement of backups and restores. Database names come from configuration or are generated here,
// never from requests; they are still quoted as identifiers.
import type { Queryable } from '@selfdb/common';
import pg from 'pg';

// pg_try_advisory_lock(OPERATION_LOCK_CLASS, hashtext(database)): one key per SelfDB database, so backups and
// restores of one install exclude each other across processes and replicas, and other databases are not held up.
const OPERATION_LOCK_CLASS = 7_345_002;

const ident = (name: string) => pg.escapeIdentifier(name);
const literal = (value: string) => pg.escapeLiteral(value);

/** Takes the backup/restore lock of `database` on this session; false when another session holds it. */
export async function tryLockOperation(db: Queryable, database: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
    [OPERATION_LOCK_CLASS, database],
  );
  return rows[0]?.locked === true;
}

export async function unlockOperation(db: Queryable, database: string): Promise<void> {
  await db.query('SELECT pg_advisory_unlock($1, hashtext($2))', [OPERATION_LOCK_CLASS, database]);
}

/** Whether any session (any process) holds the backup/restore lock of `database`. */
export async function isOperationLocked(db: Queryable, database: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND classid = $1::oid AND objid = hashtext($2)::oid AND objsubid = 2
     ) AS locked`,
    [OPERATION_LOCK_CLASS, database],
  );
  return rows[0]?.locked === true;
}

export async function findServerVersion(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ server_version: string }>('SHOW server_version');
  return rows[0]?.server_version ?? 'unknown';
}

/** Names of the run-time parameters the server knows (lower case). */
export async function listSettingNames(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM pg_settings');
  return new Set(rows.map((row) => row.name.toLowerCase()));
}

/** The newest applied migration, or null when the database has no migration table. */
export async function findMigrationLevel(db: Queryable): Promise<string | null> {
  const { rows } = await db.query<{ level: string | null }>(
    `SELECT CASE WHEN to_regclass('public.selfdb_migrations') IS NULL THEN NULL
            ELSE (SELECT max(name) FROM public.selfdb_migrations) END AS level`,
  );
  return rows[0]?.level ?? null;
}

// --- Scheduled runs -----------------------------------------------------------------------------------------------

/** Claims the cron tick `scheduledFor`; false when another process claimed it first. */
export async function claimScheduledRun(db: Queryable, scheduledFor: Date, claimedBy: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO backup_schedule_runs (scheduled_for, claimed_by) VALUES ($1, $2)
     ON CONFLICT (scheduled_for) DO NOTHING`,
    [scheduledFor, claimedBy],
  );
  return rowCount === 1;
}

export async function finishScheduledRun(
  db: Queryable,
  scheduledFor: Date,
  outcome: 'created' | 'skipped' | 'failed',
  filename: string | null,
  detail: string | null,
): Promise<void> {
  await db.query(
    `UPDATE backup_schedule_runs SET finished_at = NOW(), outcome = $2, filename = $3, detail = $4
     WHERE scheduled_for = $1`,
    [scheduledFor, outcome, filename, detail],
  );
}

export async function pruneScheduledRuns(db: Queryable, keepDays: number): Promise<void> {
  await db.query("DELETE FROM backup_schedule_runs WHERE scheduled_for < NOW() - make_interval(days => $1)", [
    keepDays,
  ]);
}

// --- Databases (run on the maintenance connection) ----------------------------------------------------------------

export async function databaseExists(db: Queryable, name: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length > 0;
}

export async function listDatabasesStartingWith(db: Queryable, prefix: string): Promise<string[]> {
  const { rows } = await db.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1 ORDER BY datname',
    [prefix],
  );
  return rows.map((row) => row.datname);
}

/**
 * Creates an empty database with the encoding and locale of `like` (when it exists), from template0, owned by
 * `owner` (the current user when null).
 * WARNING: builds DDL; the names are quoted identifiers and the locale values quoted literals from the catalog.
 */
export async function createDatabaseLike(
  db: Queryable,
  name: string,
  like: string,
  owner: string | null = null,
): Promise<void> {
  const { rows } = await db.query<{ d: Record<string, unknown> }>(
    `SELECT to_jsonb(d) || jsonb_build_object('encoding_name', pg_encoding_to_char(d.encoding)) AS d
     FROM pg_database d WHERE datname = $1`,
    [like],
  );
  const source = rows[0]?.d;
  let options = owner ? ` OWNER ${ident(owner)}` : '';
  if (source) {
    const text = (key: string) => (typeof source[key] === 'string' ? (source[key] as string) : '');
    options += ` ENCODING ${literal(text('encoding_name'))}`;
    options += ` LC_COLLATE ${literal(text('datcollate'))} LC_CTYPE ${literal(text('datctype'))}`;
    // Postgres 15/16 name the ICU locale daticulocale, 17+ datlocale (which also serves the builtin provider).
    const locale = text('datlocale') || text('daticulocale');
    if (source.datlocprovider === 'i' && locale) {
      options += ` LOCALE_PROVIDER icu ICU_LOCALE ${literal(locale)}`;
    } else if (source.datlocprovider === 'b' && locale) {
      options += ` LOCALE_PROVIDER builtin BUILTIN_LOCALE ${literal(locale)}`;
    }
  }
  await db.query(`CREATE DATABASE ${ident(name)} TEMPLATE template0${options}`);
}

/**
 * Drops the database and ends its sessions. A template cannot be dropped, and the role that loaded an archive
 * owns its staging database and could have made it one: that flag is cleared first.
 * WARNING: DDL with a quoted identifier.
 */
export async function dropDatabase(db: Queryable, name: string): Promise<void> {
  if (!(await databaseExists(db, name))) return;
  await db.query(`ALTER DATABASE ${ident(name)} WITH IS_TEMPLATE false`);
  await db.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
}

/** WARNING: DDL with a quoted identifier. */
export async function setAllowConnections(db: Queryable, name: string, allow: boolean): Promise<void> {
  await db.query(`ALTER DATABASE ${ident(name)} WITH ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`);
}

export async function isAcceptingConnections(db: Queryable, name: string): Promise<boolean | null> {
  const { rows } = await db.query<{ datallowconn: boolean }>(
    'SELECT datallowconn FROM pg_database WHERE datname = $1',
    [name],
  );
  return rows[0]?.datallowconn ?? null;
}

/** Ends every other session on these databases; returns how many are still there. */
export async function terminateConnections(db: Queryable, names: string[]): Promise<number> {
  await db.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()`,
    [names],
  );
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()',
    [names],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Renames `live` to `previous` and `staging` to `live` in one transaction: other sessions see either the old
 * database or the new one under the live name, never neither. `live` may be absent (then only staging moves).
 * WARNING: DDL with quoted identifiers.
 */
export async function swapDatabases(
  db: Queryable,
  live: string,
  staging: string,
  previous: string,
): Promise<void> {
  await db.query('BEGIN');
  try {
    if (await databaseExists(db, live)) {
      await db.query(`ALTER DATABASE ${ident(live)} RENAME TO ${ident(previous)}`);
    }
    await db.query(`ALTER DATABASE ${ident(staging)} RENAME TO ${ident(live)}`);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

// --- Inspection of a restored database (verification) -------------------------------------------------------------

export interface TableRef {
  /** As pg_dump names it in `COPY <key> (…) FROM stdin`. */
  key: string;
  schema: string;
  name: string;
}

/** Every ordinary table (and partition) outside the system schemas. */
export async function listTables(db: Queryable): Promise<TableRef[]> {
  const { rows } = await db.query<TableRef>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS key, n.nspname AS schema, c.relname AS name
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1`,
  );
  return rows;
}

/** WARNING: the table name is interpolated as quoted identifiers taken from the catalog (listTables). */
export async function countRows(db: Queryable, table: TableRef): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::bigint AS n FROM ${ident(table.schema)}.${ident(table.name)}`,
  );
  return Number(rows[0]?.n ?? 0);
}

export interface StoredFileRow {
  bucket: string;
  path: string;
  size: number;
}

/** The files the `files` table says storage holds, or null when the schema has no buckets/files tables. */
export async function listStoredFiles(db: Queryable): Promise<StoredFileRow[] | null> {
  const { rows: present } = await db.query<{ ok: boolean }>(
    "SELECT to_regclass('public.files') IS NOT NULL AND to_regclass('public.buckets') IS NOT NULL AS ok",
  );
  if (!present[0]?.ok) return null;
  const { rows } = await db.query<StoredFileRow>(
    `SELECT b.name AS bucket, f.path, f.size::bigint AS size
     FROM public.files f JOIN public.buckets b ON b.id = f.bucket_id
     WHERE f.deleted_at IS NULL ORDER BY 1, 2`,
  );
  return rows.map((row) => ({ ...row, size: Number(row.size) }));
}
