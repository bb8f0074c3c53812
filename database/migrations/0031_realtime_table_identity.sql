-- Realtime follows a table's identity, not its name (issue 10, part 4). Before this, realtime.changes said only
-- which table *name* a change came from, so a private table dropped (or renamed away) and a new public table of the
-- same name shared one history: an anonymous join with {"last_seq": 0} replayed the private rows.
--
-- 1. Each change of a user table carries the registry id of its table (public.tables.id), which survives renames and
--    pg_dump/restore (oids do not) and is new for a table dropped and made again (by the API or the SQL console,
--    whose registry sync unregisters a dropped table). The capture trigger carries the id as an argument, as the
--    row-count triggers of migration 0004 do. System tables (users, tables, buckets, files) keep no id: their topics
--    are for admins only and their names never change hands.
-- 2. Each registered table has an access epoch: the sequence number at which it last got its name, its visibility
--    (public), its owner, or its capture turned on. A resume never crosses that boundary: a client whose last_seq is
--    below it gets resync_required (docs/realtime-protocol.md), and a live join never receives a change below it.
--    To make the boundary exact, the registry change first locks the table against writers: every change captured
--    before the boundary committed before it, and every change after it was written under the new rules.

ALTER TABLE realtime.changes ADD COLUMN IF NOT EXISTS table_id UUID;
CREATE INDEX IF NOT EXISTS changes_table_id_seq_idx ON realtime.changes (table_id, seq) WHERE table_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS realtime.table_epochs (
  table_id UUID PRIMARY KEY,
  -- Changes of the table with seq <= since_seq were captured before its current name, visibility and owner.
  since_seq BIGINT NOT NULL
);

-- Trigger arguments: TG_ARGV[0] the primary key columns, TG_ARGV[1] columns never copied (secrets), both as text[]
-- literals; TG_ARGV[2] the registry id of a user table (absent for system tables and for triggers made before this
-- migration).
CREATE OR REPLACE FUNCTION realtime.capture_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  key_columns TEXT[] := TG_ARGV[0]::TEXT[];
  hidden TEXT[] := TG_ARGV[1]::TEXT[];
  registry_id UUID := NULLIF(TG_ARGV[2], '')::UUID;
  new_json JSONB;
  old_json JSONB;
  key JSONB;
  new_seq BIGINT;
BEGIN
  IF TG_OP <> 'DELETE' THEN new_json := to_jsonb(NEW) - hidden; END IF;
  IF TG_OP <> 'INSERT' THEN old_json := to_jsonb(OLD) - hidden; END IF;
  SELECT COALESCE(jsonb_object_agg(c, COALESCE(new_json, old_json) -> c), '{}') INTO key FROM unnest(key_columns) AS c;
  INSERT INTO realtime.changes (table_name, table_id, operation, pk, new_row, old_row)
  VALUES (TG_TABLE_NAME, registry_id, TG_OP, key, new_json, old_json)
  RETURNING seq INTO new_seq;
  PERFORM pg_notify('selfdb_changes', new_seq::TEXT);
  RETURN NULL;
END $$;

DROP FUNCTION IF EXISTS realtime.enable_capture(REGCLASS, TEXT[]);

/**
 * Starts (or refreshes, after a primary key change) capture on a table; `hidden` columns never leave it. The
 * table's changes are keyed by `registry_id`; when it is null, by the registry row of the table's name (none for
 * SelfDB's system tables). Callers that rename in the same transaction must pass the id.
 */
CREATE OR REPLACE FUNCTION realtime.enable_capture(
  target REGCLASS,
  hidden TEXT[] DEFAULT '{}',
  registry_id UUID DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  key_columns TEXT[];
BEGIN
  IF registry_id IS NULL THEN
    SELECT t.id INTO registry_id
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    JOIN public.tables t ON t.name = c.relname::TEXT
    WHERE c.oid = target AND c.relname NOT IN ('users', 'tables', 'buckets', 'files');
  END IF;
  SELECT COALESCE(array_agg(a.attname::TEXT ORDER BY array_position(i.indkey::SMALLINT[], a.attnum)), '{}')
  INTO key_columns
  FROM pg_index i
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
  WHERE i.indrelid = target AND i.indisprimary;
  EXECUTE format('DROP TRIGGER IF EXISTS selfdb_capture ON %s', target);
  EXECUTE format(
    'CREATE TRIGGER selfdb_capture AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION realtime.capture_change(%L, %L, %L)',
    target, key_columns::TEXT, hidden::TEXT, COALESCE(registry_id::TEXT, ''));
END $$;

/**
 * Keeps realtime.table_epochs in step with the registry. A new registry row, or a change of its name, visibility,
 * owner, or capture (off → on), starts a new epoch: the table is locked against writers first (SHARE ROW EXCLUSIVE,
 * as selfdb.track_row_count does), so no change of it is in flight, then the epoch takes the next sequence number.
 */
CREATE OR REPLACE FUNCTION realtime.on_registry_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  candidate TEXT;
  rel REGCLASS;
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM realtime.table_epochs WHERE table_id = OLD.id;
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.name = OLD.name AND NEW.public = OLD.public
     AND NEW.owner_id IS NOT DISTINCT FROM OLD.owner_id AND (OLD.realtime_enabled OR NOT NEW.realtime_enabled) THEN
    RETURN NEW;
  END IF;
  FOREACH candidate IN ARRAY CASE WHEN TG_OP = 'UPDATE' THEN ARRAY[OLD.name, NEW.name] ELSE ARRAY[NEW.name] END LOOP
    rel := to_regclass(format('public.%I', candidate));
    IF rel IS NOT NULL AND (SELECT relkind FROM pg_class WHERE oid = rel) IN ('r', 'p') THEN
      EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', rel);
    END IF;
  END LOOP;
  IF TG_OP = 'UPDATE' AND NEW.id <> OLD.id THEN
    DELETE FROM realtime.table_epochs WHERE table_id = OLD.id;
  END IF;
  INSERT INTO realtime.table_epochs (table_id, since_seq)
  VALUES (NEW.id, nextval('realtime.changes_seq_seq'))
  ON CONFLICT (table_id) DO UPDATE SET since_seq = EXCLUDED.since_seq;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS selfdb_realtime_epoch ON public.tables;
CREATE TRIGGER selfdb_realtime_epoch BEFORE INSERT OR UPDATE OR DELETE ON public.tables
  FOR EACH ROW EXECUTE FUNCTION realtime.on_registry_change();

-- Tables captured before this migration: their triggers now carry their registry ids.
SELECT realtime.enable_capture(rel, '{}', t.id)
FROM (
  SELECT t.id, to_regclass(format('public.%I', t.name)) AS rel FROM public.tables t
  WHERE t.name NOT IN ('users', 'tables', 'buckets', 'files')
) AS t
WHERE rel IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = 'selfdb_capture');

-- Their earlier changes carry no id, so nobody can tell whose they were: every registered table starts an epoch now,
-- and a client resuming from before this migration gets resync_required.
INSERT INTO realtime.table_epochs (table_id, since_seq)
SELECT t.id, s.v FROM public.tables t, (SELECT nextval('realtime.changes_seq_seq') AS v) AS s
ON CONFLICT (table_id) DO UPDATE SET since_seq = EXCLUDED.since_seq;
