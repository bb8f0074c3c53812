import { type BucketResponse, deleteBucket, getBucketCount, listBuckets, unwrap } from '@selfdb/sdk';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Input } from '../../components/ui/field.tsx';
import { Pager } from '../../components/ui/pager.tsx';
import { AsyncStatus, Badge, EmptyState, PageHeader } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { formatBytes, formatDate } from '../../lib/format.ts';
import { useSelfDB, useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { useDebounced } from '../../lib/use-debounced.ts';
import { LiveBadge } from '../tables/live-badge.tsx';
import { useLiveChanges } from '../tables/use-live-changes.ts';
import { BucketDialog } from './bucket-dialog.tsx';
import { plural } from './storage.ts';

const PAGE_SIZE = 50;

/** The buckets the user can see: search, pages, create, edit, delete; a name opens the bucket's files. */
export function StoragePage() {
  const selfdb = useSelfDB();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), 250);
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<BucketResponse | null>(null);
  const [deleting, setDeleting] = useState<BucketResponse | null>(null);

  const buckets = useAsync(async () => {
    const client = selfdb.client;
    const search = term || undefined;
    const [rows, total] = await Promise.all([
      listBuckets({
        client,
        query: { skip: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE, search, sort_by: 'name', sort_order: 'asc' },
      }).then(unwrap),
      getBucketCount({ client, query: { search } }).then(unwrap),
    ]);
    return { rows, total };
  }, [selfdb, term, page]);
  // Buckets made, changed (files added, access) or deleted anywhere show up without a reload (the realtime topics
  // of system tables are for admins).
  const isAdmin = useSession().user?.role === 'ADMIN';
  const live = useLiveChanges(selfdb, 'buckets', isAdmin, buckets.reload, buckets.reload);

  return (
    <>
      <PageHeader
        title="Storage"
        description={buckets.data ? plural(buckets.data.total, 'bucket') : undefined}
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create bucket
          </Button>
        }
      />
      <div className="mb-3 flex items-center gap-3">
        <Input
          type="search"
          placeholder="Search buckets"
          aria-label="Search buckets"
          className="max-w-xs"
          maxLength={100}
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setPage(1);
          }}
        />
        <LiveBadge live={live} />
      </div>
      <AsyncStatus state={buckets} />
      {buckets.data && buckets.data.rows.length === 0 ? (
        <EmptyState title={term ? 'No bucket matches this search' : 'No buckets yet'}>
          {term ? null : 'Create one to start storing files.'}
        </EmptyState>
      ) : null}
      {buckets.data && buckets.data.rows.length > 0 ? (
        <>
          <DataTable label="Buckets">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Description</Th>
                <Th>Access</Th>
                <Th>Files</Th>
                <Th>Size</Th>
                <Th>Created</Th>
                <Th className="text-right">Actions</Th>
              </tr>
            </thead>
            <tbody>
              {buckets.data.rows.map((bucket) => (
                <tr key={bucket.id} data-testid="bucket-row">
                  <Td className="font-medium">
                    <Link
                      className="text-emerald-700 hover:underline dark:text-emerald-400"
                      to={`/storage/${bucket.id}`}
                    >
                      {bucket.name}
                    </Link>
                  </Td>
                  <Td className="max-w-xs truncate text-zinc-500">{bucket.description}</Td>
                  <Td>{bucket.public ? <Badge tone="amber">public</Badge> : <Badge>private</Badge>}</Td>
                  <Td>{bucket.file_count}</Td>
                  <Td className="whitespace-nowrap">{formatBytes(bucket.total_size)}</Td>
                  <Td className="whitespace-nowrap text-zinc-500">{formatDate(bucket.created_at)}</Td>
                  <Td className="whitespace-nowrap text-right">
                    <div className="flex justify-end gap-1">
                      <Button size="sm" onClick={() => setEditing(bucket)}>
                        Edit
                      </Button>
                      <Button size="sm" variant="danger" onClick={() => setDeleting(bucket)}>
                        Delete
                      </Button>
                    </div>
                  </Td>
                </tr>
              ))}
            </tbody>
          </DataTable>
          <Pager page={page} pageSize={PAGE_SIZE} total={buckets.data.total} onPage={setPage} />
        </>
      ) : null}
      {creating ? (
        <BucketDialog
          onClose={() => setCreating(false)}
          onSaved={(bucket) => void navigate(`/storage/${bucket.id}`)}
        />
      ) : null}
      {editing ? (
        <BucketDialog
          bucket={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            buckets.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete bucket"
          message={`Delete the bucket ${deleting.name} and its ${plural(deleting.file_count, 'file')}? This cannot be undone.`}
          confirmLabel="Delete bucket"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            unwrap(await deleteBucket({ client: selfdb.client, path: { bucket_id: deleting.id } }));
            setDeleting(null);
            buckets.reload();
          }}
        />
      ) : null}
    </>
  );
}
