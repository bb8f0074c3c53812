-- Change capture for realtime (SPEC §2.6, §3): every committed change of a captured table becomes one row of
-- realtime.changes with a gap-free-in-commit-order sequence number; NOTIFY carries only that number, so rows of any
-- size work (SelfDB 0.0.5 sent whole rows through pg_notify and failed above 8000 bytes).
--
-- Sequence numbers are taken at insert time, not at commit time, so a reader must never step over a missing seq
-- while the transaction that may hold it is still running (realtime/src/pubsub/change-feed.ts shows how: advance
-- over contiguous seqs, and over a gap only once every transaction writing to the outbox at that time has ended).
CREATE SCHEMA IF NOT EXISTS realtime;

CREATE TABLE IF NOT EXISTS realtime.changes (
  seq BIGSERIAL PRIMARY KEY,
  txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  table_name TEXT NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  -- Primary key values of the row, e.g. {"id": "…"}.
  pk JSONB NOT NULL DEFAULT '{}',
  new_row JSONB,
  old_row JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS changes_created_at_idx ON realtime.changes (created_at);
CREATE INDEX IF NOT EXISTS changes_table_seq_idx ON realtime.changes (table_name, seq);

-- Trigger arguments: TG_ARGV[0] the primary key columns, TG_ARGV[1] columns never copied (secrets), both as
-- text[] literals. Fixed when capture is enabled, so the per-row cost is one insert and one notify.
CREATE OR REPLACE FUNCTION realtime.capture_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  key_columns TEXT[] := TG_ARGV[0]::TEXT[];
  hidden TEXT[] := TG_ARGV[1]::TEXT[];
  new_json JSONB;
  old_json JSONB;
  key JSONB;
  new_seq BIGINT;
BEGIN
  IF TG_OP <> 'DELETE' THEN new_json := to_jsonb(NEW) - hidden; END IF;
  IF TG_OP <> 'INSERT' THEN old_json := to_jsonb(OLD) - hidden; END IF;
  SELECT COALESCE(jsonb_object_agg(c, COALESCE(new_json, old_json) -> c), '{}') INTO key FROM unnest(key_columns) AS c;
  INSERT INTO realtime.changes (table_name, operation, pk, new_row, old_row)
  VALUES (TG_TABLE_NAME, TG_OP, key, new_json, old_json)
  RETURNING seq INTO new_seq;
  PERFORM pg_notify('selfdb_changes', new_seq::TEXT);
  RETURN NULL;
END $$;

/** Starts (or refreshes, after a primary key change) capture on a table; `hidden` columns never leave it. */
CREATE OR REPLACE FUNCTION realtime.enable_capture(target REGCLASS, hidden TEXT[] DEFAULT '{}') RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  key_columns TEXT[];
BEGIN
  SELECT COALESCE(array_agg(a.attname::TEXT ORDER BY array_position(i.indkey::SMALLINT[], a.attnum)), '{}')
  INTO key_columns
  FROM pg_index i
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
  WHERE i.indrelid = target AND i.indisprimary;
  EXECUTE format('DROP TRIGGER IF EXISTS selfdb_capture ON %s', target);
  EXECUTE format(
    'CREATE TRIGGER selfdb_capture AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION realtime.capture_change(%L, %L)',
    target, key_columns::TEXT, hidden::TEXT);
END $$;

CREATE OR REPLACE FUNCTION realtime.disable_capture(target REGCLASS) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DROP TRIGGER IF EXISTS selfdb_capture ON %s', target);
END $$;

/** Deletes changes older than `max_age`, and beyond the newest `max_rows`; returns how many were deleted. */
CREATE OR REPLACE FUNCTION realtime.prune_changes(max_age INTERVAL, max_rows BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  deleted BIGINT;
  cutoff BIGINT;
BEGIN
  SELECT seq INTO cutoff FROM realtime.changes ORDER BY seq DESC OFFSET max_rows LIMIT 1;
  DELETE FROM realtime.changes WHERE created_at < NOW() - max_age OR seq <= COALESCE(cutoff, 0);
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN deleted;
END $$;

-- SelfDB 0.0.5 (a restored archive) notified whole rows, password hashes included: replace its triggers.
DO $$
DECLARE
  t RECORD;
BEGIN
  FOR t IN
    SELECT tg.tgname, tg.tgrelid::REGCLASS AS tbl
    FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
    WHERE p.proname = 'realtime_notify' AND NOT tg.tgisinternal
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.tbl);
  END LOOP;
END $$;
DROP FUNCTION IF EXISTS enable_realtime_for_table(TEXT);
DROP FUNCTION IF EXISTS disable_realtime_for_table(TEXT);
DROP FUNCTION IF EXISTS realtime_notify();

-- System tables are always captured (admins may subscribe to them), never with their secrets.
SELECT realtime.enable_capture('public.users', '{password}');
SELECT realtime.enable_capture('public.tables');
SELECT realtime.enable_capture('public.buckets');
SELECT realtime.enable_capture('public.files');

-- User tables that were realtime-enabled in a restored archive.
SELECT realtime.enable_capture(to_regclass(format('public.%I', name)))
FROM tables
WHERE realtime_enabled AND to_regclass(format('public.%I', name)) IS NOT NULL;
