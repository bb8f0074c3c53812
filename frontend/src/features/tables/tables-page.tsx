import { deleteTable, getTableCount, readTables, type TableRead, unwrap } from '@selfdb/sdk';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Input } from '../../components/ui/field.tsx';
import { Pager } from '../../components/ui/pager.tsx';
import { AsyncStatus, Badge, EmptyState, PageHeader } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { formatDate } from '../../lib/format.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { useDebounced } from '../../lib/use-debounced.ts';
import { CreateTableDialog } from './create-table-dialog.tsx';

const PAGE_SIZE = 50;

/** The tables the user can see: search, pages, create, delete; a name opens the table's data. */
export function TablesPage() {
  const selfdb = useSelfDB();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), 250);
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<TableRead | null>(null);

  const tables = useAsync(async () => {
    const client = selfdb.client;
    const search = term || undefined;
    const [rows, total] = await Promise.all([
      readTables({
        client,
        query: { skip: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE, search, sort_by: 'name', sort_order: 'asc' },
      }).then(unwrap),
      getTableCount({ client, query: { search } }).then(unwrap),
    ]);
    return { rows, total };
  }, [selfdb, term, page]);

  return (
    <>
      <PageHeader
        title="Tables"
        description={tables.data ? `${tables.data.total} tables` : undefined}
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create table
          </Button>
        }
      />
      <Input
        type="search"
        placeholder="Search tables"
        aria-label="Search tables"
        className="mb-3 max-w-xs"
        maxLength={100}
        value={search}
        onChange={(e) => {
          setSearch(e.target.value);
          setPage(1);
        }}
      />
      <AsyncStatus state={tables} />
      {tables.data && tables.data.rows.length === 0 ? (
        <EmptyState title={term ? 'No table matches this search' : 'No tables yet'}>
          {term ? null : 'Create one to start storing data.'}
        </EmptyState>
      ) : null}
      {tables.data && tables.data.rows.length > 0 ? (
        <>
          <DataTable label="Tables">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Description</Th>
                <Th>Access</Th>
                <Th>Rows</Th>
                <Th>Created</Th>
                <Th className="text-right">Actions</Th>
              </tr>
            </thead>
            <tbody>
              {tables.data.rows.map((table) => (
                <tr key={table.id} data-testid="table-row">
                  <Td className="font-medium">
                    <Link
                      className="text-emerald-700 hover:underline dark:text-emerald-400"
                      to={`/tables/${table.id}`}
                    >
                      {table.name}
                    </Link>
                  </Td>
                  <Td className="max-w-xs truncate text-zinc-500">{table.description}</Td>
                  <Td>
                    <div className="flex gap-1">
                      {table.public ? <Badge tone="amber">public</Badge> : <Badge>private</Badge>}
                      {table.realtime_enabled ? <Badge tone="emerald">realtime</Badge> : null}
                    </div>
                  </Td>
                  <Td>{table.row_count}</Td>
                  <Td className="whitespace-nowrap text-zinc-500">{formatDate(table.created_at)}</Td>
                  <Td className="text-right">
                    <Button size="sm" variant="danger" onClick={() => setDeleting(table)}>
                      Delete
                    </Button>
                  </Td>
                </tr>
              ))}
            </tbody>
          </DataTable>
          <Pager page={page} pageSize={PAGE_SIZE} total={tables.data.total} onPage={setPage} />
        </>
      ) : null}
      {creating ? (
        <CreateTableDialog
          onClose={() => setCreating(false)}
          onCreated={(table) => void navigate(`/tables/${table.id}`)}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete table"
          message={`Delete the table ${deleting.name} and all its rows? This cannot be undone.`}
          confirmLabel="Delete table"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            unwrap(await deleteTable({ client: selfdb.client, path: { table_id: deleting.id } }));
            setDeleting(null);
            tables.reload();
          }}
        />
      ) : null}
    </>
  );
}
