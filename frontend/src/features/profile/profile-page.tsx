import { unwrap, updateUser } from '@selfdb/sdk';
import { type FormEvent, type ReactNode, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Field, Input } from '../../components/ui/field.tsx';
import { Badge, ErrorMessage, PageHeader } from '../../components/ui/states.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { useSession } from '../../lib/session.tsx';

function Section({
  title,
  onSubmit,
  children,
}: {
  title: string;
  onSubmit(): Promise<string>;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      setSaved(await onSubmit());
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} className="space-y-3 rounded-lg border border-zinc-200 p-5 dark:border-zinc-800">
      <h2 className="font-semibold">{title}</h2>
      {children}
      {error ? <ErrorMessage message={error} /> : null}
      {saved ? (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          {saved}
        </p>
      ) : null}
      <Button type="submit" variant="primary" disabled={busy}>
        {busy ? 'Saving…' : 'Save'}
      </Button>
    </form>
  );
}

/** Every user edits their own name, email and password (0.0.5 allowed this to admins only). */
export function ProfilePage() {
  const { selfdb, user, reloadUser, signOut } = useSession();
  const [email, setEmail] = useState(user?.email ?? '');
  const [firstName, setFirstName] = useState(user?.firstName ?? '');
  const [lastName, setLastName] = useState(user?.lastName ?? '');
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  if (!user) return null;
  const userId = user.id;

  return (
    <>
      <PageHeader title="Profile" description={user.email} />
      <div className="mb-4 flex gap-2 text-sm">
        <Badge tone={user.role === 'ADMIN' ? 'emerald' : 'zinc'}>{user.role}</Badge>
      </div>
      <div className="grid max-w-3xl gap-5 lg:grid-cols-2">
        <Section
          title="Your details"
          onSubmit={async () => {
            unwrap(
              await updateUser({
                client: selfdb.client,
                path: { user_id: userId },
                body: { email, firstName, lastName },
              }),
            );
            await reloadUser();
            return 'Saved.';
          }}
        >
          <Field label="Email">
            <Input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </Field>
          <Field label="First name">
            <Input
              required
              maxLength={100}
              value={firstName}
              onChange={(e) => setFirstName(e.target.value)}
            />
          </Field>
          <Field label="Last name">
            <Input required maxLength={100} value={lastName} onChange={(e) => setLastName(e.target.value)} />
          </Field>
        </Section>
        <Section
          title="Password"
          onSubmit={async () => {
            unwrap(
              await updateUser({
                client: selfdb.client,
                path: { user_id: userId },
                body: { password: newPassword, current_password: currentPassword },
              }),
            );
            // A new password ends every session of the user, this one included.
            await signOut('Your password was changed. Sign in with the new one.', { serverSide: false });
            return 'Password changed.';
          }}
        >
          <Field label="Current password">
            <Input
              type="password"
              autoComplete="current-password"
              required
              value={currentPassword}
              onChange={(e) => setCurrentPassword(e.target.value)}
            />
          </Field>
          <Field label="New password" hint="8 to 72 characters.">
            <Input
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              maxLength={72}
              value={newPassword}
              onChange={(e) => setNewPassword(e.target.value)}
            />
          </Field>
        </Section>
      </div>
    </>
  );
}
