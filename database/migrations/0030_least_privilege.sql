-- Least privilege (issue 10): SelfDB stops running as the Postgres superuser. The backend's requests and the
-- realtime service log in as selfdb_app, the SQL console as selfdb_console; both act through selfdb_owner, which
-- owns SelfDB's schemas and everything in them. None of them is a superuser.
--
-- The roles, the ownership of every object (tables made by earlier versions through the API or the console
-- included), the grants, and the event triggers with their functions (schema selfdb_internal: the schema change log
-- of 0010, and the one that gives every new object to selfdb_owner) are not set up here but by the migration runner
-- (backend/src/db/roles.ts), before and after every run, as the superuser: a restored archive or a console user may
-- have changed any of them, and the runner re-creates them from the repository's text rather than trusting what the
-- database holds. Running as a superuser, this migration only removes what 0010 left in `public`: a superuser's
-- functions there, one of them run by the event triggers with superuser rights (its INSERT would fire, as the
-- superuser, any trigger a console user puts on selfdb_schema_changes).
DROP FUNCTION IF EXISTS public.selfdb_enable_schema_change_log();
DROP FUNCTION IF EXISTS public.selfdb_log_schema_change() CASCADE;
