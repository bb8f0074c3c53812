// A staging database and the throwaway role that fills it: the only way archive SQL ever runs. The superuser (the
// maintenance connection) creates a login role that is nothing but the owner of the empty staging database: no
// superuser, no role or database creation, member of no role (so not of pg_execute_server_program,
// pg_read_server_files or pg_write_server_files). psql loads database.sql as that role, and the migrations bring
// the result up to date as that role too: a superuser never runs a statement on data the archive defined (its
// triggers, defaults and functions would run with the superuser's rights). Then the superuser checks the catalog,
// hands every object to selfdb_owner (never to a superuser), drops the loader role, and lets the roles runner
// recreate what needs a superuser (the schema change log's event triggers) from SelfDB's own text (db/roles.ts).
// Whatever fails, discard() leaves nothing behind: no staging database, no role.
//
// Migrations therefore must apply when run by the database owner without superuser rights, skipping what needs a
// superuser (as 0010 does with its event triggers); a superuser-only step that must hold on a restored database
// belongs in db/roles.ts, which runs after the hand-over.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { runMigrations } from '../../db/migrate.ts';
import { scramVerifier } from '../../db/scram.ts';
import { secureDatabase } from '../../db/roles.ts';
import { createDatabaseLike, dropDatabase } from './backups.repository.ts';
import { RestoreError } from './archive-error.ts';
import { withClient, withDatabase } from './postgres-tools.ts';
import { SqlLoad, type SqlLoadOptions } from './sql-loader.ts';
import {
  countSettingsOf,
  createLoaderRole,
  dropLoaderRole,
  findCurrentUser,
  findRoleFingerprint,
  handOverDatabase,
  isPlainMigrationRecord,
  listExtensions,
} from './staging.repository.ts';

/** The extensions an archive may create: what SelfDB 0.0.5 and SelfDB itself use. */
export const ALLOWED_EXTENSIONS: ReadonlySet<string> = new Set(['plpgsql', 'pgcrypto']);

interface Log {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * Loader roles of one live database start with this (a crashed restore's role is found and dropped by it); the
 * roles of backup-verify, which runs without the restore lock, have their own prefix.
 */
export function loaderRolePrefix(live: string, kind: 'restore' | 'verify' = 'restore'): string {
  return `selfdb_${kind}_${createHash('sha256').update(live).digest('hex').slice(0, 8)}_`;
}



export class StagingDatabase {
  private handedOver = false;

  private constructor(
    /** The maintenance session (superuser, on the `postgres` database). */
    private readonly admin: pg.Client,
    private readonly directUrl: string,
    readonly name: string,
    readonly role: string,
    private readonly password: string,
    private readonly roleFingerprint: string | null,
  ) {}

  /** Creates the loader role and the empty staging database it owns (like `like`: encoding, locale). */
  static async create(admin: pg.Client, directUrl: string, name: string, like: string, role: string) {
    const password = randomBytes(24).toString('hex');
    await createLoaderRole(admin, role, scramVerifier(password));
    try {
      await createDatabaseLike(admin, name, like, role);
      return new StagingDatabase(admin, directUrl, name, role, password, await findRoleFingerprint(admin, role));
    } catch (err) {
      await dropDatabase(admin, name).catch(() => {});
      await dropLoaderRole(admin, role).catch(() => {});
      throw err;
    }
  }

  /** The staging database as the loader role. Holds its password: for in-process clients and PGPASSWORD only. */
  get loaderUrl(): string {
    const url = new URL(withDatabase(this.directUrl, this.name));
    url.username = encodeURIComponent(this.role);
    url.password = encodeURIComponent(this.password);
    return url.toString();
  }

  /** The loader's password, to keep it out of messages. */
  get secret(): string {
    return this.password;
  }

  /** The staging database as the superuser: catalog checks and the hand-over only. */
  private get adminUrl(): string {
    return withDatabase(this.directUrl, this.name);
  }

  /** psql, as the loader role, runs the (filtered) SQL. */
  async load(sqlPath: string, options: Omit<SqlLoadOptions, 'allowedExtensions'>): Promise<void> {
    await new SqlLoad(this.loaderUrl, sqlPath, { ...options, allowedExtensions: ALLOWED_EXTENSIONS }).done;
  }

  /**
   * What the loader role could do without a superuser but a restore refuses: extensions beyond the allowed ones
   * (trusted extensions need no superuser), and changes to itself or to its database (ALTER ROLE CURRENT_USER,
   * ALTER DATABASE ... SET) that would outlive the load.
   */
  async assertLoadedSafely(): Promise<void> {
    const extensions = await withClient(this.adminUrl, 'selfdb-restore', (client) => listExtensions(client));
    const extra = extensions.filter((name) => !ALLOWED_EXTENSIONS.has(name));
    if (extra.length) {
      throw new RestoreError(
        `database.sql created the extension ${extra.join(', ')}: a restore may create only ${[...ALLOWED_EXTENSIONS].join(', ')}`,
      );
    }
    if (!(await withClient(this.adminUrl, 'selfdb-restore', (client) => isPlainMigrationRecord(client)))) {
      throw new RestoreError(
        'database.sql made selfdb_migrations something other than SelfDB’s own table (a view, or extra columns, defaults, constraints, indexes, rules, triggers or policies), which a restore refuses',
      );
    }
    if ((await findRoleFingerprint(this.admin, this.role)) !== this.roleFingerprint) {
      throw new RestoreError('database.sql changed the role that loads it (ALTER ROLE), which a restore refuses');
    }
    if ((await countSettingsOf(this.admin, this.role, this.name)) > 0) {
      throw new RestoreError(
        'database.sql attached settings to its role or database (ALTER ROLE/DATABASE ... SET), which a restore refuses',
      );
    }
  }

  /** The migrations, as the loader role (see the top of this file). Returns the ones applied. */
  async migrate(migrationsDir: string, log: Log): Promise<string[]> {
    return runMigrations(this.loaderUrl, migrationsDir, log);
  }

  /**
   * Gives every object to `objectsOwner` (selfdb_owner, or the live database's owner where SelfDB's roles are not
   * managed) and the database to `databaseOwner`, drops the loader role, then lets the roles runner put the database
   * in the shape it keeps the live one in (grants, event triggers, the migration record) from SelfDB's own text. No
   * object of the archive ever becomes a superuser's. From here on nothing in the database belongs to the loader.
   */
  async handOver(owners: { objects: string; database: string }, log: Log): Promise<void> {
    await withClient(this.adminUrl, 'selfdb-restore', (client) => handOverDatabase(client, this.name, this.role, owners));
    await dropLoaderRole(this.admin, this.role);
    this.handedOver = true;
    await withClient(this.adminUrl, 'selfdb-restore', async (client) => {
      const me = await findCurrentUser(client);
      if (!me.superuser) {
        log.warn(`restore: ${me.name} is not a superuser; the schema change log stays off in the restored database`);
        return;
      }
      await secureDatabase(client, { password: undefined, log });
    });
  }

  /** Drops the staging database (unless it became the live one) and the loader role. Never throws. */
  async discard(log: Log): Promise<void> {
    await dropDatabase(this.admin, this.name).catch((err: Error) =>
      log.warn(`restore: could not drop the staging database ${this.name}: ${err.message}`),
    );
    if (this.handedOver) return;
    await dropLoaderRole(this.admin, this.role).catch((err: Error) =>
      log.warn(`restore: could not drop the role ${this.role}: ${err.message}`),
    );
  }
}
