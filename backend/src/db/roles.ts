// Least privilege in Postgres: the roles SelfDB runs as, who owns what, and the superuser's own functions. Applied by
// the migration runner (as the superuser of DIRECT_DATABASE_URL) before and after every run, from this file's text
// only: a restored or edited database may hold functions of the same names, and the superuser never runs those.
//
//   selfdb_owner    NOLOGIN. Owns SelfDB's schemas (but `public`) and every object in them, user tables included.
//   selfdb_app      LOGIN, member of selfdb_owner: the backend's request pool and the realtime service.
//   selfdb_console  LOGIN, member of selfdb_owner: the SQL console, on connections of its own.
//
// None is a superuser or may create roles or databases, replicate, or bypass row security; their own settings
// (ALTER ROLE … SET, which a role may always do to itself) are reset here. The database stays owned by the superuser:
// its owner may `ALTER DATABASE … SET`, which would reach every new connection, and code a console user writes (a
// trigger, a policy) runs as selfdb_app whenever the API fires it. (A database owned by any non-superuser, say one
// a restore made, is given to the superuser.)
import { DB_ROLES } from '@selfdb/common';
import type pg from 'pg';
import { canHashLocally, scramVerifier, verifierAccepts } from './scram.ts';

interface Log {
  info(message: string): void;
}

/** Schema of the superuser's own functions (event triggers); nobody else may use or change anything in it. */
export const INTERNAL_SCHEMA = 'selfdb_internal';

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const ROLE_NAMES = Object.values(DB_ROLES);
const ATTRIBUTES =
  'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT -1';

interface RoleRow {
  rolname: string;
  privileged: boolean;
  rolcanlogin: boolean;
  rolpassword: string | null;
}

/** Creates the three roles or brings them back to the attributes, password, memberships and settings above. */
async function ensureRoles(client: pg.ClientBase, password: string | undefined, log: Log): Promise<void> {
  const { rows } = await client.query<RoleRow>(
    `SELECT rolname, rolcanlogin, rolpassword,
       rolsuper OR NOT rolinherit OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls
         OR rolconnlimit <> -1 OR (rolvaliduntil IS NOT NULL AND rolvaliduntil <> 'infinity') AS privileged
     FROM pg_catalog.pg_authid WHERE rolname = ANY ($1)`,
    [ROLE_NAMES],
  );
  const found = new Map(rows.map((row) => [row.rolname, row]));
  for (const name of ROLE_NAMES) {
    const login = name !== DB_ROLES.owner;
    const row = found.get(name);
    const kind = login ? 'LOGIN' : 'NOLOGIN';
    if (!row) {
      await client.query(`CREATE ROLE ${ident(name)} ${kind} ${ATTRIBUTES}`);
      log.info(`created database role ${name}`);
    } else if (row.privileged || row.rolcanlogin !== login) {
      await client.query(`ALTER ROLE ${ident(name)} ${kind} ${ATTRIBUTES} VALID UNTIL 'infinity'`);
      log.info(`reset the attributes of database role ${name}`);
    }
    if (!login) {
      if (row?.rolpassword) await client.query(`ALTER ROLE ${ident(name)} PASSWORD NULL`);
    } else if (password !== undefined && !verifierAccepts(row?.rolpassword ?? null, name, password)) {
      // A verifier keeps the password itself out of the statement (and any log of it).
      const secret = canHashLocally(password) ? scramVerifier(password) : password;
      await client.query(`ALTER ROLE ${ident(name)} PASSWORD ${literal(secret)}`);
    }
  }

  // Exactly one membership each: app and console in owner; whatever else was granted to them is taken back.
  const { rows: memberships } = await client.query<{ role: string; member: string }>(
    `SELECT r.rolname AS role, m.rolname AS member
     FROM pg_catalog.pg_auth_members a
     JOIN pg_catalog.pg_roles r ON r.oid = a.roleid
     JOIN pg_catalog.pg_roles m ON m.oid = a.member
     WHERE m.rolname = ANY ($1)`,
    [ROLE_NAMES],
  );
  const wanted = new Set([DB_ROLES.app, DB_ROLES.console].map((member) => `${DB_ROLES.owner} ${member}`));
  for (const { role, member } of memberships) {
    if (!wanted.delete(`${role} ${member}`)) {
      await client.query(`REVOKE ${ident(role)} FROM ${ident(member)} CASCADE`);
      log.info(`revoked role ${role} from ${member}`);
    }
  }
  for (const pair of wanted) {
    const [role = '', member = ''] = pair.split(' ');
    await client.query(`GRANT ${ident(role)} TO ${ident(member)}`);
  }

  // A role may give itself settings (search_path, default_transaction_read_only, …) that every new session of it
  // would start with: none survive a start of SelfDB.
  const { rows: settings } = await client.query<{ role: string; database: string | null }>(
    `SELECT r.rolname AS role, d.datname AS database
     FROM pg_catalog.pg_db_role_setting s
     JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
     LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
     WHERE r.rolname = ANY ($1)`,
    [ROLE_NAMES],
  );
  for (const { role, database } of settings) {
    await client.query(
      `ALTER ROLE ${ident(role)}${database === null ? '' : ` IN DATABASE ${ident(database)}`} RESET ALL`,
    );
    log.info(`reset the settings of database role ${role}${database === null ? '' : ` in ${database}`}`);
  }
}

// The schema change log (migration 0010's function, unchanged), run as selfdb_owner: as the superuser it would run
// any trigger a console user puts on selfdb_schema_changes with superuser rights, and as a role that logs in such a
// trigger could change that role's password or settings. Nobody but the superuser may use this schema, so nobody can
// name (replace, alter, drop) the function.
const LOG_FUNCTION = `
CREATE OR REPLACE FUNCTION ${INTERNAL_SCHEMA}.log_schema_change() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  actor UUID;
BEGIN
  BEGIN
    actor := NULLIF(current_setting('selfdb.user_id', true), '')::UUID;
  EXCEPTION WHEN invalid_text_representation THEN
    actor := NULL;
  END;
  IF TG_EVENT = 'sql_drop' THEN
    INSERT INTO public.selfdb_schema_changes
      (user_id, application_name, event, command_tag, object_type, schema_name, object_identity)
    SELECT actor, current_setting('application_name', true), TG_EVENT, TG_TAG,
           d.object_type, d.schema_name, d.object_identity
    FROM pg_event_trigger_dropped_objects() d
    WHERE NOT d.is_temporary
      AND (d.original OR (d.normal AND d.object_type IN (
        'table', 'view', 'materialized view', 'foreign table', 'sequence', 'function', 'procedure', 'type',
        'schema')));
  ELSE
    INSERT INTO public.selfdb_schema_changes
      (user_id, application_name, event, command_tag, object_type, schema_name, object_identity)
    SELECT actor, current_setting('application_name', true), TG_EVENT, c.command_tag,
           c.object_type, c.schema_name, c.object_identity
    FROM pg_event_trigger_ddl_commands() c
    WHERE NOT c.in_extension AND c.schema_name IS DISTINCT FROM 'pg_temp';
  END IF;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'selfdb: schema change not logged: % (SQLSTATE %)', SQLERRM, SQLSTATE;
END $fn$;
ALTER FUNCTION ${INTERNAL_SCHEMA}.log_schema_change() OWNER TO ${DB_ROLES.owner};`;

// Skipped: system schemas, this schema, extension members, event trigger functions, the migration record (read-only
// for everyone else, so no console user can make the runner re-apply or refuse migrations), sequences that belong
// to a column (they follow their table) and `public` itself (owned by the database owner).
const ADOPT_FUNCTIONS = `
CREATE OR REPLACE FUNCTION ${INTERNAL_SCHEMA}.adopt(cls oid, obj oid) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  owner_role oid := '${DB_ROLES.owner}'::regrole;
  ns name;
  what text;
  range_multi oid;
BEGIN
  IF cls = 'pg_class'::regclass THEN
    SELECT n.nspname,
      CASE c.relkind WHEN 'v' THEN 'VIEW ' WHEN 'm' THEN 'MATERIALIZED VIEW ' WHEN 'S' THEN 'SEQUENCE '
        WHEN 'f' THEN 'FOREIGN TABLE ' WHEN 'c' THEN 'TYPE ' ELSE 'TABLE ' END
      || CASE WHEN c.relkind = 'c' THEN format_type(c.reltype, NULL) ELSE c.oid::regclass::text END
    INTO ns, what
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = obj AND c.relowner <> owner_role AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
      AND NOT (n.nspname = 'public' AND c.relname = 'selfdb_migrations')
      AND NOT (c.relkind = 'S' AND EXISTS (
        SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
          AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')));
  ELSIF cls = 'pg_proc'::regclass THEN
    SELECT n.nspname, 'ROUTINE ' || p.oid::regprocedure::text INTO ns, what
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.oid = obj AND p.proowner <> owner_role AND p.prorettype <> 'event_trigger'::regtype;
  ELSIF cls = 'pg_type'::regclass THEN
    -- A range's multirange type (Postgres 14+; read through jsonb, so older versions see none) is altered with it.
    SELECT n.nspname, CASE t.typtype WHEN 'd' THEN 'DOMAIN ' ELSE 'TYPE ' END || format_type(t.oid, NULL),
      (SELECT (to_jsonb(r) ->> 'rngmultitypid')::oid FROM pg_range r WHERE r.rngtypid = t.oid)
    INTO ns, what, range_multi
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.oid = obj AND t.typowner <> owner_role AND t.typtype IN ('d', 'e', 'r', 'm');
  ELSIF cls = 'pg_namespace'::regclass THEN
    SELECT n.nspname, 'SCHEMA ' || quote_ident(n.nspname) INTO ns, what
    FROM pg_namespace n WHERE n.oid = obj AND n.nspowner <> owner_role AND n.nspname <> 'public';
  END IF;
  IF what IS NULL OR ns ~ '^pg_' OR ns IN ('information_schema', '${INTERNAL_SCHEMA}') OR EXISTS (
    SELECT 1 FROM pg_depend WHERE classid = cls AND objid = obj AND deptype = 'e'
  ) THEN
    RETURN FALSE;
  END IF;
  -- Spelt in two pieces: a dump of this function (backups) then holds no line a restore could take for a change of
  -- owner.
  EXECUTE 'ALTER ' || what || ' OWNER' || ' TO ${DB_ROLES.owner}';
  IF range_multi IS NOT NULL THEN
    PERFORM ${INTERNAL_SCHEMA}.adopt('pg_type'::regclass, range_multi);
  END IF;
  RETURN TRUE;
END $fn$;
REVOKE ALL ON FUNCTION ${INTERNAL_SCHEMA}.adopt(oid, oid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ${INTERNAL_SCHEMA}.adopt_all() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  owner_role oid := '${DB_ROLES.owner}'::regrole;
  adopted integer := 0;
  r record;
BEGIN
  FOR r IN
    WITH spaces AS (
      SELECT oid, nspowner FROM pg_namespace
      WHERE nspname !~ '^pg_' AND nspname NOT IN ('information_schema', '${INTERNAL_SCHEMA}')
    )
    SELECT 1 AS ord, 'pg_namespace'::regclass AS cls, oid AS obj FROM spaces WHERE nspowner <> owner_role
    UNION ALL SELECT 2, 'pg_type'::regclass, t.oid FROM pg_type t JOIN spaces s ON s.oid = t.typnamespace
      WHERE t.typowner <> owner_role AND t.typtype IN ('d', 'e', 'r', 'm')
    UNION ALL SELECT 3, 'pg_class'::regclass, c.oid FROM pg_class c JOIN spaces s ON s.oid = c.relnamespace
      WHERE c.relowner <> owner_role AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
    UNION ALL SELECT 4, 'pg_proc'::regclass, p.oid FROM pg_proc p JOIN spaces s ON s.oid = p.pronamespace
      WHERE p.proowner <> owner_role
    ORDER BY 1
  LOOP
    IF ${INTERNAL_SCHEMA}.adopt(r.cls, r.obj) THEN
      adopted := adopted + 1;
    END IF;
  END LOOP;
  RETURN adopted;
END $fn$;
REVOKE ALL ON FUNCTION ${INTERNAL_SCHEMA}.adopt_all() FROM PUBLIC;

-- Runs as the superuser (only it may give an object away) inside the DDL of anyone, so it trusts nothing but the
-- catalog: fixed search_path, names printed by regclass/regprocedure/format_type. Its own ALTERs fire no trigger
-- (session_replication_role is set here and put back, not in a SET clause, which a non-superuser restoring a dump
-- of this function could not create).
CREATE OR REPLACE FUNCTION ${INTERNAL_SCHEMA}.adopt_new_objects() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  r record;
  replication_role text := current_setting('session_replication_role');
BEGIN
  PERFORM set_config('session_replication_role', 'replica', true);
  FOR r IN SELECT DISTINCT classid, objid FROM pg_event_trigger_ddl_commands() WHERE NOT in_extension LOOP
    BEGIN
      PERFORM ${INTERNAL_SCHEMA}.adopt(r.classid, r.objid);
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'selfdb: % was not given to ${DB_ROLES.owner}: % (SQLSTATE %)',
        pg_identify_object(r.classid, r.objid, 0), SQLERRM, SQLSTATE;
    END;
  END LOOP;
  PERFORM set_config('session_replication_role', replication_role, true);
END $fn$;
REVOKE ALL ON FUNCTION ${INTERNAL_SCHEMA}.adopt_new_objects() FROM PUBLIC;`;

const EVENT_TRIGGERS = [
  ['selfdb_schema_changes_ddl', 'ddl_command_end', 'log_schema_change'],
  ['selfdb_schema_changes_drop', 'sql_drop', 'log_schema_change'],
  ['selfdb_adopt_objects', 'ddl_command_end', 'adopt_new_objects'],
] as const;

/**
 * SQL that is true when `public.selfdb_migrations` exists and is not exactly the table the runner makes: three
 * columns (name text, checksum character(64), applied_at timestamptz DEFAULT now()), its primary key and nothing
 * else (no rules, triggers, policies, other constraints or indexes, views). The runner reads and writes it as the
 * superuser, so anything more (a default calling a function, say, from a restored archive) would run with those rights.
 */
export const FOREIGN_MIGRATION_RECORD = `
  to_regclass('public.selfdb_migrations') IS NOT NULL AND (
    (SELECT c.relkind <> 'r' OR c.relhasrules OR c.relhastriggers OR c.relrowsecurity
     FROM pg_class c WHERE c.oid = to_regclass('public.selfdb_migrations'))
    OR (SELECT array_agg(a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attname)
        FROM pg_attribute a
        WHERE a.attrelid = to_regclass('public.selfdb_migrations') AND a.attnum > 0 AND NOT a.attisdropped)
       IS DISTINCT FROM ARRAY['applied_at timestamp with time zone', 'checksum character(64)', 'name text']
    OR EXISTS (SELECT 1 FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
               WHERE d.adrelid = to_regclass('public.selfdb_migrations')
                 AND (a.attname <> 'applied_at' OR pg_get_expr(d.adbin, d.adrelid) <> 'now()'))
    OR EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('public.selfdb_migrations')
                 AND contype NOT IN ('p', 'n'))
    OR (SELECT count(*) FROM pg_index WHERE indrelid = to_regclass('public.selfdb_migrations')) <> 1
  )`;

/** The database-level part, as one script: grants, the internal schema and its functions, event triggers, owners. */
const DATABASE_SQL = `
DO $do$
DECLARE
  db name := current_database();
BEGIN
  -- Only a superuser owns the database (a restore may have made it someone else's).
  IF NOT (SELECT r.rolsuper FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = db) THEN
    EXECUTE format('ALTER DATABASE %I OWNER TO CURRENT_USER', db);
  END IF;
  IF NOT has_database_privilege('${DB_ROLES.owner}', db, 'CREATE') THEN
    EXECUTE format('GRANT CONNECT, TEMPORARY, CREATE ON DATABASE %I TO ${DB_ROLES.owner}', db);
  END IF;
END $do$;

CREATE SCHEMA IF NOT EXISTS public;
DO $do$
BEGIN
  -- Owned by the database's owner (pg_database_owner, Postgres 15+) or a superuser, as a new database has it: its
  -- owner could drop the migration record and the extensions' functions in it.
  IF NOT (SELECT r.rolsuper OR r.rolname = 'pg_database_owner'
          FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = 'public') THEN
    ALTER SCHEMA public OWNER TO CURRENT_USER;
  END IF;
  -- Before Postgres 15 everyone may create objects in public.
  IF EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(n.nspacl) a
             WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE') THEN
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  END IF;
  IF NOT has_schema_privilege('${DB_ROLES.owner}', 'public', 'CREATE') THEN
    GRANT USAGE, CREATE ON SCHEMA public TO ${DB_ROLES.owner};
  END IF;
END $do$;

DO $do$
BEGIN
  -- Anything in it that is not the superuser's (a restored archive's, say a better-matching adopt()) would be run by
  -- the superuser below: the schema goes, and is made again from this file. (log_schema_change() is selfdb_owner's
  -- on purpose, and replaced below from this file's text.)
  IF EXISTS (SELECT 1 FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
             WHERE n.nspname = '${INTERNAL_SCHEMA}' AND NOT r.rolsuper)
     OR EXISTS (SELECT 1 FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
                WHERE p.pronamespace = to_regnamespace('${INTERNAL_SCHEMA}') AND NOT r.rolsuper
                  AND p.oid IS DISTINCT FROM to_regprocedure('${INTERNAL_SCHEMA}.log_schema_change()'))
     OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
                WHERE c.relnamespace = to_regnamespace('${INTERNAL_SCHEMA}') AND NOT r.rolsuper)
     OR EXISTS (SELECT 1 FROM pg_type t JOIN pg_roles r ON r.oid = t.typowner
                WHERE t.typnamespace = to_regnamespace('${INTERNAL_SCHEMA}') AND NOT r.rolsuper)
     OR EXISTS (SELECT 1 FROM pg_operator o JOIN pg_roles r ON r.oid = o.oprowner
                WHERE o.oprnamespace = to_regnamespace('${INTERNAL_SCHEMA}') AND NOT r.rolsuper) THEN
    DROP SCHEMA ${INTERNAL_SCHEMA} CASCADE;
  END IF;
END $do$;
CREATE SCHEMA IF NOT EXISTS ${INTERNAL_SCHEMA};
ALTER SCHEMA ${INTERNAL_SCHEMA} OWNER TO CURRENT_USER;
REVOKE ALL ON SCHEMA ${INTERNAL_SCHEMA} FROM PUBLIC;
${LOG_FUNCTION}
${ADOPT_FUNCTIONS}
ALTER FUNCTION ${INTERNAL_SCHEMA}.adopt(oid, oid) OWNER TO CURRENT_USER;
ALTER FUNCTION ${INTERNAL_SCHEMA}.adopt_all() OWNER TO CURRENT_USER;
ALTER FUNCTION ${INTERNAL_SCHEMA}.adopt_new_objects() OWNER TO CURRENT_USER;

DO $do$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES ${EVENT_TRIGGERS.map(([name, event, fn]) => `('${name}', '${event}', '${INTERNAL_SCHEMA}.${fn}()')`).join(', ')}) AS v(name, event, fn)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = t.name AND evtevent = t.event
                   AND evtfoid = t.fn::regprocedure AND evtenabled = 'O' AND evttags IS NULL) THEN
      EXECUTE format('DROP EVENT TRIGGER IF EXISTS %I', t.name);
      EXECUTE format('CREATE EVENT TRIGGER %I ON %I EXECUTE FUNCTION %s', t.name, t.event, t.fn);
    END IF;
  END LOOP;
END $do$;

SELECT ${INTERNAL_SCHEMA}.adopt_all();

DO $do$
BEGIN
  IF to_regclass('public.selfdb_migrations') IS NOT NULL THEN
    IF (${FOREIGN_MIGRATION_RECORD}) THEN
      RAISE EXCEPTION 'selfdb_migrations is not a plain table: this database was not made by SelfDB';
    END IF;
    IF NOT (SELECT r.rolsuper FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
            WHERE c.oid = 'public.selfdb_migrations'::regclass) THEN
      ALTER TABLE public.selfdb_migrations OWNER TO CURRENT_USER;
    END IF;
    IF NOT has_table_privilege('${DB_ROLES.owner}', 'public.selfdb_migrations', 'SELECT') THEN
      GRANT SELECT ON public.selfdb_migrations TO ${DB_ROLES.owner};
    END IF;
  END IF;
END $do$;`;

/**
 * Puts the roles and the current database in the shape described at the top of this file, in one transaction with
 * no trigger firing (session_replication_role = replica). `password` (POSTGRES_PASSWORD) becomes the password of the
 * login roles; undefined leaves their passwords alone. Returns false (and changes nothing) when the connected user
 * is not a superuser: then SelfDB runs with whatever roles its URLs name.
 */
export async function secureDatabase(
  client: pg.ClientBase,
  options: { password: string | undefined; log: Log },
): Promise<boolean> {
  const { rows } = await client.query<{ rolsuper: boolean; user: string }>(
    'SELECT rolsuper, current_user AS user FROM pg_catalog.pg_roles WHERE rolname = current_user',
  );
  if (!rows[0]?.rolsuper) {
    options.log.info(
      `${rows[0]?.user ?? 'the migration user'} is not a superuser: the roles ${Object.values(DB_ROLES).join(', ')} are not managed`,
    );
    return false;
  }
  await client.query('BEGIN');
  try {
    // Only pg_catalog: `public` (writable by selfdb_owner, so by the console and a restored archive) could otherwise
    // hold a better-matching function for a name used here, which would run with the superuser's rights.
    await client.query('SET LOCAL search_path = pg_catalog, pg_temp');
    await client.query('SET LOCAL session_replication_role = replica');
    // Roles are shared by every database of the cluster: one runner at a time changes them (the migration lock is
    // per database). SHARE ROW EXCLUSIVE lets logins and reads through.
    await client.query('LOCK TABLE pg_catalog.pg_authid IN SHARE ROW EXCLUSIVE MODE');
    await ensureRoles(client, options.password, options.log);
    await client.query(DATABASE_SQL);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return true;
}
