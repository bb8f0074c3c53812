import { restoreFromBackupFile, unwrap } from '@selfdb/sdk';
import { type FormEvent, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Field, Input } from '../../components/ui/field.tsx';
import { ErrorMessage } from '../../components/ui/states.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { useSelfDB } from '../../lib/session.tsx';

/**
 * A fresh install (nobody has signed in yet) can start from a backup archive. The server asks for the one-time
 * restore token that `./selfdb.sh start` printed (also in the backend log).
 */
export function RestoreBackup() {
  const selfdb = useSelfDB();
  const [open, setOpen] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const result = unwrap(
        await restoreFromBackupFile({
          client: selfdb.client,
          body: { file },
          headers: { 'x-restore-token': token.trim() },
        }),
      );
      setDone(result.message);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (!open) {
    return (
      <div className="text-center text-sm">
        <button
          type="button"
          className="text-emerald-700 underline dark:text-emerald-400"
          onClick={() => setOpen(true)}
        >
          Fresh install? Restore from a backup
        </button>
      </div>
    );
  }
  return (
    <form
      onSubmit={submit}
      className="space-y-3 rounded-lg border border-zinc-200 bg-white p-5 dark:border-zinc-800 dark:bg-zinc-900"
    >
      <h2 className="font-semibold">Restore from a backup</h2>
      <p className="text-sm text-zinc-500">
        Replaces this install&apos;s database and files with the archive. Only possible before anyone has
        signed in.
      </p>
      {done ? (
        <p
          role="status"
          className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200"
        >
          {done}
        </p>
      ) : (
        <>
          <Field label="Backup archive (.tar.gz)">
            <Input
              type="file"
              accept=".tar.gz,.tgz,application/gzip"
              required
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </Field>
          <Field
            label="Restore token"
            hint="Printed by ./selfdb.sh start on a fresh install (also in the backend log)."
          >
            <Input required value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
          </Field>
          {error ? <ErrorMessage message={error} /> : null}
          <Button type="submit" variant="danger" disabled={busy || !file} className="w-full">
            {busy ? 'Restoring… (this can take a while)' : 'Restore'}
          </Button>
        </>
      )}
    </form>
  );
}
