-- Function triggers (issue 12, part 3): what the job queue and database triggers need beyond migration 0035.
--
-- 1. A job remembers the execution its current attempt runs as, so a lease that runs out (the backend or the runtime
--    died mid-run) closes that execution as failed; and the depth of an event chain (context.emit of a run started
--    by an event), capped by the worker.
-- 2. Database triggers need change capture on their table even when its realtime toggle is off. Capture stays one
--    trigger (realtime.changes is one outbox, one sequence), and each change carries whether realtime may broadcast
--    it: `broadcast` is fixed when capture is (re)armed, under the table's lock (CREATE TRIGGER takes one), from
--    the table's realtime toggle. The realtime service never delivers nor replays a change with broadcast = false,
--    so capture turned on for a function never shows a subscriber a table whose realtime is off; and turning the
--    realtime toggle off keeps capture (not broadcast) while a deployed function still listens to the table.

ALTER TABLE selfdb.function_jobs ADD COLUMN IF NOT EXISTS execution_id UUID;
ALTER TABLE selfdb.function_jobs ADD COLUMN IF NOT EXISTS depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE selfdb.function_jobs ADD COLUMN IF NOT EXISTS last_error TEXT;
CREATE INDEX IF NOT EXISTS function_jobs_locked_until_idx ON selfdb.function_jobs (locked_until)
  WHERE locked_until IS NOT NULL;

ALTER TABLE realtime.changes ADD COLUMN IF NOT EXISTS broadcast BOOLEAN NOT NULL DEFAULT TRUE;

-- Trigger arguments: TG_ARGV[0] the primary key columns, TG_ARGV[1] columns never copied (secrets), both as text[]
-- literals; TG_ARGV[2] the registry id of a user table (may be empty); TG_ARGV[3] 'f' when the change is captured
-- for functions only (realtime off), absent or anything else: broadcast.
CREATE OR REPLACE FUNCTION realtime.capture_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  key_columns TEXT[] := TG_ARGV[0]::TEXT[];
  hidden TEXT[] := TG_ARGV[1]::TEXT[];
  registry_id UUID := NULLIF(TG_ARGV[2], '')::UUID;
  broadcast BOOLEAN := TG_NARGS < 4 OR TG_ARGV[3] IS DISTINCT FROM 'f';
  new_json JSONB;
  old_json JSONB;
  key JSONB;
  new_seq BIGINT;
BEGIN
  IF TG_OP <> 'DELETE' THEN new_json := to_jsonb(NEW) - hidden; END IF;
  IF TG_OP <> 'INSERT' THEN old_json := to_jsonb(OLD) - hidden; END IF;
  SELECT COALESCE(jsonb_object_agg(c, COALESCE(new_json, old_json) -> c), '{}') INTO key FROM unnest(key_columns) AS c;
  INSERT INTO realtime.changes (table_name, table_id, operation, pk, new_row, old_row, broadcast)
  VALUES (TG_TABLE_NAME, registry_id, TG_OP, key, new_json, old_json, broadcast)
  RETURNING seq INTO new_seq;
  PERFORM pg_notify('selfdb_changes', new_seq::TEXT);
  RETURN NULL;
END $$;

/** Whether an active, deployed function declares a database trigger on `target` (a table of schema public). */
CREATE OR REPLACE FUNCTION realtime.functions_need_capture(target REGCLASS) RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.functions f, jsonb_array_elements(
      CASE WHEN jsonb_typeof(f.triggers) = 'array' THEN f.triggers ELSE '[]'::jsonb END) AS t
    WHERE f.is_active AND f.deployed_version IS NOT NULL
      AND t ->> 'type' = 'database'
      AND t ->> 'table' = (SELECT c.relname::TEXT FROM pg_class c
                            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
                            WHERE c.oid = target))
$$;

/** (Re)arms capture on `target` with the broadcast flag (the other arguments as realtime.enable_capture). */
CREATE OR REPLACE FUNCTION realtime.arm_capture(
  target REGCLASS,
  hidden TEXT[],
  registry_id UUID,
  broadcast BOOLEAN
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
    'CREATE TRIGGER selfdb_capture AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION realtime.capture_change(%L, %L, %L, %L)',
    target, key_columns::TEXT, hidden::TEXT, COALESCE(registry_id::TEXT, ''), CASE WHEN broadcast THEN 't' ELSE 'f' END);
END $$;

/** Realtime on: capture and broadcast (as before this migration). */
CREATE OR REPLACE FUNCTION realtime.enable_capture(
  target REGCLASS,
  hidden TEXT[] DEFAULT '{}',
  registry_id UUID DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM realtime.arm_capture(target, hidden, registry_id, TRUE);
END $$;

/** Realtime off: capture stops, unless a function listens to the table, in which case it goes on unbroadcast. */
CREATE OR REPLACE FUNCTION realtime.disable_capture(target REGCLASS) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF realtime.functions_need_capture(target) THEN
    PERFORM realtime.arm_capture(target, '{}', NULL, FALSE);
  ELSE
    EXECUTE format('DROP TRIGGER IF EXISTS selfdb_capture ON %s', target);
  END IF;
END $$;

/**
 * Makes sure changes of `target` are captured for functions: a table without capture gets it, unbroadcast (its
 * realtime toggle is off, or it would be captured already). A table already captured keeps its trigger as it is.
 */
CREATE OR REPLACE FUNCTION realtime.capture_for_functions(target REGCLASS) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = target AND tgname = 'selfdb_capture') THEN
    RETURN FALSE;
  END IF;
  PERFORM realtime.arm_capture(target, '{}', NULL, FALSE);
  RETURN TRUE;
END $$;

/**
 * Stops capture kept for functions on registered tables whose realtime is off once no deployed function listens to
 * them any more; returns how many tables it released.
 */
CREATE OR REPLACE FUNCTION realtime.release_function_capture() RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  rel REGCLASS;
  released INTEGER := 0;
BEGIN
  FOR rel IN
    SELECT to_regclass(format('public.%I', t.name)) FROM public.tables t
    WHERE NOT t.realtime_enabled AND t.name NOT IN ('users', 'tables', 'buckets', 'files')
  LOOP
    IF rel IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = 'selfdb_capture')
       AND NOT realtime.functions_need_capture(rel) THEN
      EXECUTE format('DROP TRIGGER IF EXISTS selfdb_capture ON %s', rel);
      released := released + 1;
    END IF;
  END LOOP;
  RETURN released;
END $$;
