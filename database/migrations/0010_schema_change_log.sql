-- Schema change log (SPEC §3 "schema-change events"): every DDL command, whether it comes from the tables API, the
-- SQL console or psql, becomes a row saying who (the SelfDB user the backend names with
-- `SET LOCAL selfdb.user_id = '<uuid>'`, the database role and the client's application_name), when, and what
-- (command tag, object type and identity). Admins read it through GET /schema/changes.
--
-- Event triggers may only be created by a superuser. SelfDB's own Postgres (Docker and native) runs everything as the
-- superuser; elsewhere the migration still applies, warns, and the log stays empty until a superuser runs
-- `SELECT selfdb_enable_schema_change_log();`.
CREATE TABLE IF NOT EXISTS selfdb_schema_changes (
  id BIGSERIAL PRIMARY KEY,
  occurred_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  -- No foreign key: the log outlives deleted users.
  user_id UUID,
  db_user TEXT NOT NULL DEFAULT session_user,
  application_name TEXT,
  event TEXT NOT NULL,
  command_tag TEXT NOT NULL,
  object_type TEXT,
  schema_name TEXT,
  object_identity TEXT
);

-- Never breaks the DDL it observes: any failure (the log table renamed or dropped, a full disk) becomes a WARNING.
-- SECURITY DEFINER with a fixed search_path, so it logs DDL of roles that cannot write the log, and a script's
-- `SET LOCAL search_path` cannot redirect the insert.
CREATE OR REPLACE FUNCTION selfdb_log_schema_change() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  actor UUID;
BEGIN
  BEGIN
    actor := NULLIF(current_setting('selfdb.user_id', true), '')::UUID;
  EXCEPTION WHEN invalid_text_representation THEN
    actor := NULL;
  END;
  IF TG_EVENT = 'sql_drop' THEN
    -- The dropped objects the command named, and what CASCADE took with them; not their parts (defaults,
    -- constraints, indexes, triggers), which would bury the drop under noise.
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
END $$;

/** (Re)creates the two event triggers; needs a superuser. Returns false (and warns) for anyone else. */
CREATE OR REPLACE FUNCTION selfdb_enable_schema_change_log() RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE WARNING 'selfdb: % is not a superuser, so DDL is not recorded in selfdb_schema_changes', current_user;
    RETURN FALSE;
  END IF;
  DROP EVENT TRIGGER IF EXISTS selfdb_schema_changes_ddl;
  DROP EVENT TRIGGER IF EXISTS selfdb_schema_changes_drop;
  CREATE EVENT TRIGGER selfdb_schema_changes_ddl ON ddl_command_end
    EXECUTE FUNCTION selfdb_log_schema_change();
  CREATE EVENT TRIGGER selfdb_schema_changes_drop ON sql_drop
    EXECUTE FUNCTION selfdb_log_schema_change();
  RETURN TRUE;
END $$;

SELECT selfdb_enable_schema_change_log();
