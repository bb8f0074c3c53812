import { getSystemStatus, unwrap } from '@selfdb/sdk';
import { type FormEvent, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Field, Input } from '../../components/ui/field.tsx';
import { ErrorMessage } from '../../components/ui/states.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { RestoreBackup } from './restore-backup.tsx';

/** Sign-in with email and password; on a fresh install (nobody signed in yet) also the restore from a backup. */
export function LoginPage() {
  const { selfdb, signIn, notice } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const status = useAsync(async () => unwrap(await getSystemStatus({ client: selfdb.client })), [selfdb]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <div className="flex min-h-screen items-start justify-center bg-zinc-50 px-4 pt-[12vh] dark:bg-zinc-950">
      <div className="w-full max-w-sm space-y-4">
        <div className="text-center text-2xl font-semibold tracking-tight">
          Self<span className="text-emerald-600">DB</span>
        </div>
        <form
          onSubmit={submit}
          className="space-y-3 rounded-lg border border-zinc-200 bg-white p-5 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
        >
          <h1 className="text-lg font-semibold">Sign in</h1>
          {notice ? (
            <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950 dark:text-amber-200">
              {notice}
            </p>
          ) : null}
          <Field label="Email">
            <Input
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </Field>
          <Field label="Password">
            <Input
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </Field>
          {error ? <ErrorMessage message={error} /> : null}
          <Button type="submit" variant="primary" className="w-full" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </Button>
        </form>
        {status.error ? <ErrorMessage message={errorMessage(status.error)} onRetry={status.reload} /> : null}
        {status.data && !status.data.initialized ? <RestoreBackup /> : null}
        {status.data ? (
          <p className="text-center text-xs text-zinc-500">SelfDB {status.data.version}</p>
        ) : null}
      </div>
    </div>
  );
}
