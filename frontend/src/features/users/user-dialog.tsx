import { createUser, unwrap, updateUser, type UserRead, type UserUpdate } from '@selfdb/sdk';
import { useState } from 'react';
import { FormDialog } from '../../components/ui/dialog.tsx';
import { Checkbox, Field, Input, Select } from '../../components/ui/field.tsx';
import { useSelfDB } from '../../lib/session.tsx';

/** Creates a user (then sets the role when ADMIN is chosen) or edits one; admins only. */
export function UserDialog({
  user,
  onClose,
  onSaved,
}: {
  user: UserRead | null;
  onClose(): void;
  onSaved(): void;
}) {
  const selfdb = useSelfDB();
  const [email, setEmail] = useState(user?.email ?? '');
  const [firstName, setFirstName] = useState(user?.firstName ?? '');
  const [lastName, setLastName] = useState(user?.lastName ?? '');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'USER' | 'ADMIN'>(user?.role ?? 'USER');
  const [isActive, setIsActive] = useState(user?.isActive ?? true);

  async function save() {
    const client = selfdb.client;
    if (!user) {
      const created = unwrap(await createUser({ client, body: { email, firstName, lastName, password } }));
      // Sign-up always makes a USER; an admin promotes afterwards.
      if (role !== 'USER')
        unwrap(await updateUser({ client, path: { user_id: created.id }, body: { role } }));
    } else {
      const body: UserUpdate = {};
      if (email !== user.email) body.email = email;
      if (firstName !== user.firstName) body.firstName = firstName;
      if (lastName !== user.lastName) body.lastName = lastName;
      if (role !== user.role) body.role = role;
      if (isActive !== user.isActive) body.isActive = isActive;
      if (password) body.password = password;
      if (Object.keys(body).length > 0)
        unwrap(await updateUser({ client, path: { user_id: user.id }, body }));
    }
    onSaved();
  }

  return (
    <FormDialog
      title={user ? `Edit ${user.email}` : 'Create user'}
      submitLabel={user ? 'Save' : 'Create user'}
      onClose={onClose}
      onSubmit={save}
    >
      <Field label="Email">
        <Input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </Field>
      <div className="grid grid-cols-2 gap-3">
        <Field label="First name">
          <Input required maxLength={100} value={firstName} onChange={(e) => setFirstName(e.target.value)} />
        </Field>
        <Field label="Last name">
          <Input required maxLength={100} value={lastName} onChange={(e) => setLastName(e.target.value)} />
        </Field>
      </div>
      <Field
        label={user ? 'New password' : 'Password'}
        hint={user ? 'Leave empty to keep the current one.' : '8 to 72 characters.'}
      >
        <Input
          type="password"
          autoComplete="new-password"
          required={!user}
          minLength={8}
          maxLength={72}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </Field>
      <Field label="Role">
        <Select value={role} onChange={(e) => setRole(e.target.value as 'USER' | 'ADMIN')}>
          <option value="USER">USER</option>
          <option value="ADMIN">ADMIN</option>
        </Select>
      </Field>
      {user ? (
        <Checkbox
          label="Active (can sign in)"
          checked={isActive}
          onChange={(e) => setIsActive(e.target.checked)}
        />
      ) : null}
    </FormDialog>
  );
}
