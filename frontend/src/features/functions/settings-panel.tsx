import { type FunctionRead, type FunctionUpdate, unwrap, updateFunction } from '@selfdb/sdk';
import { type FormEvent, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Checkbox } from '../../components/ui/field.tsx';
import { ErrorMessage } from '../../components/ui/states.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { EnvVarsEditor } from './env-vars-editor.tsx';
import { FunctionFields } from './function-fields.tsx';
import { type EnvRow, envRowsOf, envVarsOf, sameEnvVars } from './functions.ts';

/**
 * Name, description, timeout, active and env vars. Saving sends only what changed; a deployed function gets new
 * env vars and timeout at once (no redeploy needed).
 */
export function SettingsPanel({ fn, onSaved }: { fn: FunctionRead; onSaved(fn: FunctionRead): void }) {
  const selfdb = useSelfDB();
  const [name, setName] = useState(fn.name);
  const [description, setDescription] = useState(fn.description ?? '');
  const [timeout, setTimeoutSeconds] = useState(String(fn.timeout_seconds));
  const [active, setActive] = useState(fn.is_active);
  const [envRows, setEnvRows] = useState<EnvRow[]>(() => envRowsOf(fn.env_vars));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const body: FunctionUpdate = {};
      const envVars = envVarsOf(envRows);
      if (name.trim() !== fn.name) body.name = name.trim();
      if ((description.trim() || null) !== fn.description) body.description = description.trim() || null;
      if (Number(timeout) !== fn.timeout_seconds) body.timeout_seconds = Number(timeout);
      if (active !== fn.is_active) body.is_active = active;
      if (!sameEnvVars(envVars, fn.env_vars)) body.env_vars = envVars;
      if (Object.keys(body).length === 0) {
        setSaved(true);
        return;
      }
      const updated = unwrap(
        await updateFunction({ client: selfdb.client, path: { function_id: fn.id }, body }),
      );
      setSaved(true);
      onSaved(updated);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={save} className="max-w-2xl space-y-3">
      <FunctionFields
        nameHint="Renaming changes the function's /invoke URL."
        name={name}
        onName={setName}
        timeout={timeout}
        onTimeout={setTimeoutSeconds}
        description={description}
        onDescription={setDescription}
      />
      <Checkbox
        label="Active (an inactive function never runs)"
        checked={active}
        onChange={(e) => setActive(e.target.checked)}
      />
      <EnvVarsEditor rows={envRows} onChange={setEnvRows} />
      {error ? <ErrorMessage message={error} /> : null}
      <div className="flex items-center gap-2">
        <Button type="submit" variant="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </Button>
        {saved ? (
          <span role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
            Saved.
          </span>
        ) : null}
      </div>
    </form>
  );
}
