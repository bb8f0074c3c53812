-- Sessions (issue 10, part 5). A session is the chain of refresh tokens one login starts: rotation hands the
-- session id on, so at most one unrevoked refresh token carries it. Access tokens name their session (`sid`), and
-- are accepted only while it has an unrevoked, unexpired refresh token: revoking refresh tokens ends sessions, and
-- their access tokens with them, at once and in every process.
ALTER TABLE refresh_tokens ADD COLUMN IF NOT EXISTS session_id UUID NOT NULL DEFAULT gen_random_uuid();
CREATE INDEX IF NOT EXISTS idx_refresh_tokens_session_id ON refresh_tokens(session_id) WHERE revoked_at IS NULL;

-- A new password, a new role or a deactivation ends every session of the user, whatever makes the change (the
-- API, the SQL console, a script). Deletion ends them too (refresh_tokens cascade). Upgrading a password hash at
-- login (bcrypt from 0.0.5 to argon2id) is not a change of password: that transaction sets
-- `selfdb.password_rehash` to `on` first. SECURITY DEFINER: whoever may update users may end their sessions,
-- even without rights on refresh_tokens.
CREATE OR REPLACE FUNCTION selfdb_end_user_sessions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.role IS DISTINCT FROM OLD.role
     OR NEW.is_active IS DISTINCT FROM OLD.is_active
     OR (NEW.password IS DISTINCT FROM OLD.password
         AND coalesce(current_setting('selfdb.password_rehash', true), '') <> 'on') THEN
    UPDATE refresh_tokens SET revoked_at = NOW() WHERE user_id = NEW.id AND revoked_at IS NULL;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS users_end_sessions ON users;
CREATE TRIGGER users_end_sessions AFTER UPDATE OF password, role, is_active ON users
  FOR EACH ROW EXECUTE FUNCTION selfdb_end_user_sessions();
