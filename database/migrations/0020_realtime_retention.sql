-- Realtime resume needs to know whether the changes after a client's last sequence number are all still retained.
-- Sequence numbers have gaps (rolled-back transactions, sequence jumps after a crash), so the smallest retained
-- seq cannot tell "pruned" from "never committed". The prune records the highest seq it deleted instead: a client
-- whose last_seq is at least that watermark can be replayed exactly; one below it must resync.
--
-- The watermark changes in the same transaction as the DELETE, so a reader's snapshot sees both or neither.
CREATE TABLE IF NOT EXISTS realtime.retention (
  id INT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  pruned_through BIGINT NOT NULL DEFAULT 0
);
INSERT INTO realtime.retention (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

/** Deletes changes older than `max_age`, and beyond the newest `max_rows`; returns how many were deleted. */
CREATE OR REPLACE FUNCTION realtime.prune_changes(max_age INTERVAL, max_rows BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  deleted BIGINT;
  highest BIGINT;
  cutoff BIGINT;
BEGIN
  SELECT seq INTO cutoff FROM realtime.changes ORDER BY seq DESC OFFSET max_rows LIMIT 1;
  WITH gone AS (
    DELETE FROM realtime.changes WHERE created_at < NOW() - max_age OR seq <= COALESCE(cutoff, 0) RETURNING seq
  )
  SELECT count(*), max(seq) INTO deleted, highest FROM gone;
  IF highest IS NOT NULL THEN
    UPDATE realtime.retention SET pruned_through = GREATEST(pruned_through, highest) WHERE id = 1;
  END IF;
  RETURN deleted;
END $$;
