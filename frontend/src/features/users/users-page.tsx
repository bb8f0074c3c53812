import { deleteUser, getUserCount, readUsers, unwrap, updateUser, type UserRead } from '@selfdb/sdk';
import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Input, Select } from '../../components/ui/field.tsx';
import { AsyncStatus, Badge, EmptyState, ErrorMessage, PageHeader } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { formatDate } from '../../lib/format.ts';
import { useSelfDB, useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { useDebounced } from '../../lib/use-debounced.ts';
import { Pager } from '../../components/ui/pager.tsx';
import { UserDialog } from './user-dialog.tsx';

const PAGE_SIZE = 50;
type SortBy = 'created_at' | 'email' | 'first_name' | 'last_name';

/** Users: search, sort, pages; admins create, edit, deactivate and delete. */
export function UsersPage() {
  const selfdb = useSelfDB();
  const { user: me } = useSession();
  const isAdmin = me?.role === 'ADMIN';
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), 250);
  const [sortBy, setSortBy] = useState<SortBy>('created_at');
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<UserRead | 'new' | null>(null);
  const [deleting, setDeleting] = useState<UserRead | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const users = useAsync(async () => {
    const client = selfdb.client;
    const search = term || undefined;
    const [rows, total] = await Promise.all([
      readUsers({
        client,
        query: {
          skip: (page - 1) * PAGE_SIZE,
          limit: PAGE_SIZE,
          search,
          sort_by: sortBy,
          sort_order: sortBy === 'created_at' ? 'desc' : 'asc',
        },
      }).then(unwrap),
      getUserCount({ client, query: { search } }).then(unwrap),
    ]);
    return { rows, total };
  }, [selfdb, term, sortBy, page]);

  async function setActive(user: UserRead, isActive: boolean) {
    setActionError(null);
    try {
      const updated = unwrap(
        await updateUser({ client: selfdb.client, path: { user_id: user.id }, body: { isActive } }),
      );
      users.setData(
        (current) =>
          current && { ...current, rows: current.rows.map((u) => (u.id === updated.id ? updated : u)) },
      );
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  return (
    <>
      <PageHeader
        title="Users"
        description={users.data ? `${users.data.total} users` : undefined}
        actions={
          isAdmin ? (
            <Button variant="primary" onClick={() => setEditing('new')}>
              Create user
            </Button>
          ) : null
        }
      />
      <div className="mb-3 flex flex-wrap gap-2">
        <Input
          type="search"
          placeholder="Search email or name"
          aria-label="Search users"
          className="max-w-xs"
          value={search}
          maxLength={100}
          onChange={(e) => {
            setSearch(e.target.value);
            setPage(1);
          }}
        />
        <Select
          aria-label="Sort users"
          className="max-w-[12rem]"
          value={sortBy}
          onChange={(e) => setSortBy(e.target.value as SortBy)}
        >
          <option value="created_at">Newest first</option>
          <option value="email">Email</option>
          <option value="first_name">First name</option>
          <option value="last_name">Last name</option>
        </Select>
      </div>
      {actionError ? (
        <div className="mb-3">
          <ErrorMessage message={actionError} />
        </div>
      ) : null}
      <AsyncStatus state={users} />
      {users.data && users.data.rows.length === 0 ? (
        <EmptyState title={term ? 'No user matches this search' : 'No users yet'} />
      ) : null}
      {users.data && users.data.rows.length > 0 ? (
        <>
          <DataTable label="Users">
            <thead>
              <tr>
                <Th>Email</Th>
                <Th>Name</Th>
                <Th>Role</Th>
                <Th>Status</Th>
                <Th>Created</Th>
                {isAdmin ? <Th className="text-right">Actions</Th> : null}
              </tr>
            </thead>
            <tbody>
              {users.data.rows.map((user) => (
                <tr key={user.id} data-testid="user-row">
                  <Td className="font-medium">{user.email}</Td>
                  <Td>
                    {user.firstName} {user.lastName}
                  </Td>
                  <Td>
                    <Badge tone={user.role === 'ADMIN' ? 'emerald' : 'zinc'}>{user.role}</Badge>
                  </Td>
                  <Td>
                    {user.isActive ? (
                      <Badge tone="emerald">active</Badge>
                    ) : (
                      <Badge tone="amber">inactive</Badge>
                    )}
                  </Td>
                  <Td className="whitespace-nowrap text-zinc-500">{formatDate(user.created_at)}</Td>
                  {isAdmin ? (
                    <Td className="whitespace-nowrap text-right">
                      <div className="flex justify-end gap-1">
                        <Button size="sm" onClick={() => setEditing(user)}>
                          Edit
                        </Button>
                        {user.id !== me?.id ? (
                          <>
                            <Button size="sm" onClick={() => void setActive(user, !user.isActive)}>
                              {user.isActive ? 'Deactivate' : 'Activate'}
                            </Button>
                            <Button size="sm" variant="danger" onClick={() => setDeleting(user)}>
                              Delete
                            </Button>
                          </>
                        ) : null}
                      </div>
                    </Td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </DataTable>
          <Pager page={page} pageSize={PAGE_SIZE} total={users.data.total} onPage={setPage} />
        </>
      ) : null}
      {editing ? (
        <UserDialog
          user={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            users.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete user"
          message={`Delete ${deleting.email}? Their tables, files and sessions go with them. This cannot be undone.`}
          confirmLabel="Delete user"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            unwrap(await deleteUser({ client: selfdb.client, path: { user_id: deleting.id } }));
            setDeleting(null);
            users.reload();
          }}
        />
      ) : null}
    </>
  );
}
