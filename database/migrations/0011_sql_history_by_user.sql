-- GET /sql/history reads one user's newest entries: serve it from one index instead of two.
CREATE INDEX IF NOT EXISTS idx_sql_history_user_executed_at ON sql_history (user_id, executed_at DESC);
