-- Scheduled backups: one row per cron tick, claimed by the first backend process that fires for it. Every process
-- (and replica) runs the same schedule; the primary key makes exactly one of them produce the tick's archive.
CREATE TABLE IF NOT EXISTS backup_schedule_runs (
  scheduled_for TIMESTAMPTZ PRIMARY KEY,
  claimed_by TEXT NOT NULL,
  claimed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  finished_at TIMESTAMPTZ,
  outcome TEXT CHECK (outcome IN ('created', 'skipped', 'failed')),
  filename TEXT,
  detail TEXT
);
