-- Dynamic tables (issue 3): row counts derived from the tables themselves, and the triggers that every table made
-- through the API keeps.
CREATE SCHEMA IF NOT EXISTS selfdb;

-- The row_count of a registered table is sum(delta) of its rows here. Statement-level triggers with transition
-- tables append one delta per INSERT or DELETE statement, so the count equals count(*) at every snapshot however the
-- rows change (the API, the SQL console, psql, a rolled-back transaction), and concurrent writers never queue on a
-- shared counter row. The backend's maintenance job folds the deltas into one row per table now and then.
-- Keyed by the registry id (carried as a trigger argument), which survives renames and pg_dump/restore; oids do not.
CREATE TABLE IF NOT EXISTS selfdb.row_count_deltas (
  table_id UUID NOT NULL,
  delta BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS row_count_deltas_table_idx ON selfdb.row_count_deltas (table_id);

-- Taken (per transaction) by whatever rewrites deltas wholesale, so a fold and a re-count never interleave.
CREATE OR REPLACE FUNCTION selfdb.row_count_lock_key() RETURNS BIGINT
LANGUAGE sql IMMUTABLE AS $$ SELECT 7302150401::BIGINT $$;

CREATE OR REPLACE FUNCTION selfdb.count_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  registry_id UUID := TG_ARGV[0]::UUID;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO selfdb.row_count_deltas (table_id, delta)
    SELECT registry_id, count(*) FROM new_rows HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO selfdb.row_count_deltas (table_id, delta)
    SELECT registry_id, -count(*) FROM old_rows HAVING count(*) > 0;
  ELSE
    -- TRUNCATE cancels what is counted with a negative delta instead of deleting the deltas: a concurrent fold then
    -- either saw the old rows or its own sum row, never half of each.
    INSERT INTO selfdb.row_count_deltas (table_id, delta)
    SELECT registry_id, -sum(delta) FROM selfdb.row_count_deltas WHERE table_id = registry_id HAVING sum(delta) <> 0;
  END IF;
  RETURN NULL;
END $$;

/** Counts `rel`'s rows afresh under `registry_id` and (re)installs the counting triggers. */
CREATE OR REPLACE FUNCTION selfdb.track_row_count(registry_id UUID, rel REGCLASS) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  n BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(selfdb.row_count_lock_key());
  -- No write may slip between the count and the triggers.
  EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', rel);
  DELETE FROM selfdb.row_count_deltas WHERE table_id = registry_id;
  EXECUTE format('SELECT count(*) FROM %s', rel) INTO n;
  IF n > 0 THEN
    INSERT INTO selfdb.row_count_deltas (table_id, delta) VALUES (registry_id, n);
  END IF;
  EXECUTE format('DROP TRIGGER IF EXISTS selfdb_count_insert ON %s', rel);
  EXECUTE format('DROP TRIGGER IF EXISTS selfdb_count_delete ON %s', rel);
  EXECUTE format('DROP TRIGGER IF EXISTS selfdb_count_truncate ON %s', rel);
  EXECUTE format(
    'CREATE TRIGGER selfdb_count_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
    'FOR EACH STATEMENT EXECUTE FUNCTION selfdb.count_rows(%L)', rel, registry_id);
  EXECUTE format(
    'CREATE TRIGGER selfdb_count_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
    'FOR EACH STATEMENT EXECUTE FUNCTION selfdb.count_rows(%L)', rel, registry_id);
  EXECUTE format(
    'CREATE TRIGGER selfdb_count_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION selfdb.count_rows(%L)',
    rel, registry_id);
END $$;

/** True when `rel` carries the row-counting triggers (enabled). */
CREATE OR REPLACE FUNCTION selfdb.is_row_count_tracked(rel REGCLASS) RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = 'selfdb_count_insert' AND tgenabled <> 'D'
  )
$$;

/** The number of rows of registered table `registry_id` named `table_name`: from the deltas when tracked, else count(*). */
CREATE OR REPLACE FUNCTION selfdb.row_count(registry_id UUID, table_name TEXT) RETURNS BIGINT
LANGUAGE plpgsql STABLE AS $$
DECLARE
  rel REGCLASS := to_regclass(format('public.%I', table_name));
  n BIGINT;
BEGIN
  IF rel IS NULL THEN
    RETURN 0;
  END IF;
  IF selfdb.is_row_count_tracked(rel) THEN
    SELECT COALESCE(sum(delta), 0) INTO n FROM selfdb.row_count_deltas WHERE table_id = registry_id;
  ELSE
    EXECUTE format('SELECT count(*) FROM %s', rel) INTO n;
  END IF;
  RETURN n;
END $$;

/**
 * Folds the deltas into one row per table and drops those of unregistered tables. Returns how many rows it
 * replaced, or -1 when another fold (or a re-count) holds the lock: running it from several backends is harmless.
 */
CREATE OR REPLACE FUNCTION selfdb.fold_row_counts() RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  folded BIGINT;
BEGIN
  IF NOT pg_try_advisory_xact_lock(selfdb.row_count_lock_key()) THEN
    RETURN -1;
  END IF;
  DELETE FROM selfdb.row_count_deltas d WHERE NOT EXISTS (SELECT 1 FROM public.tables t WHERE t.id = d.table_id);
  WITH gone AS (
    DELETE FROM selfdb.row_count_deltas RETURNING table_id, delta
  ), kept AS (
    INSERT INTO selfdb.row_count_deltas (table_id, delta)
    SELECT table_id, sum(delta) FROM gone GROUP BY table_id HAVING sum(delta) <> 0
  )
  SELECT count(*) INTO folded FROM gone;
  RETURN folded;
END $$;

-- Any registration starts the count, whoever registers (the API, or the SQL console adopting a table made in SQL).
CREATE OR REPLACE FUNCTION selfdb.on_table_registered() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  rel REGCLASS := to_regclass(format('public.%I', NEW.name));
BEGIN
  IF rel IS NOT NULL AND (SELECT relkind FROM pg_class WHERE oid = rel) = 'r' THEN
    PERFORM selfdb.track_row_count(NEW.id, rel);
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS selfdb_track_rows ON public.tables;
CREATE TRIGGER selfdb_track_rows AFTER INSERT ON public.tables
  FOR EACH ROW EXECUTE FUNCTION selfdb.on_table_registered();

/**
 * Keeps `updated_at` current on `rel` while it has an `updated_at` timestamp column, and removes the trigger when the
 * column goes (or changes type), so updates never fail on a missing field.
 */
CREATE OR REPLACE FUNCTION selfdb.sync_updated_at_trigger(rel REGCLASS) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DROP TRIGGER IF EXISTS selfdb_touch_updated_at ON %s', rel);
  IF EXISTS (
    SELECT 1 FROM pg_attribute
    WHERE attrelid = rel AND attname = 'updated_at' AND NOT attisdropped
      AND atttypid IN ('timestamptz'::REGTYPE, 'timestamp'::REGTYPE)
  ) THEN
    EXECUTE format(
      'CREATE TRIGGER selfdb_touch_updated_at BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION public.selfdb_touch_updated_at()',
      rel);
  END IF;
END $$;

-- Tables registered before this migration (a database restored from a SelfDB 0.0.5 archive): count them now.
SELECT selfdb.track_row_count(t.id, to_regclass(format('public.%I', t.name)))
FROM public.tables t
WHERE (SELECT relkind FROM pg_class WHERE oid = to_regclass(format('public.%I', t.name))) = 'r';
