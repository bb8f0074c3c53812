import {
  type BucketResponse,
  type ChangePayload,
  createSignedUrl,
  deleteBucket,
  deleteFile,
  type FileResponse,
  getBucket,
  listFiles,
  unwrap,
} from '@selfdb/sdk';
import { type DragEvent, lazy, Suspense, useCallback, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Input, Select } from '../../components/ui/field.tsx';
import { Pager } from '../../components/ui/pager.tsx';
import {
  AsyncStatus,
  Badge,
  EmptyState,
  ErrorMessage,
  LoadError,
  Loading,
  PageHeader,
} from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { formatBytes, formatDate } from '../../lib/format.ts';
import { useSelfDB, useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { useDebounced } from '../../lib/use-debounced.ts';
import { LiveBadge } from '../tables/live-badge.tsx';
import { useLiveChanges } from '../tables/use-live-changes.ts';
import { BucketDialog } from './bucket-dialog.tsx';
import { absoluteSignedUrl, FILE_SORTS, plural, previewKind, removeEach } from './storage.ts';
import { UploadsPanel } from './uploads-panel.tsx';
import { useUploads } from './use-uploads.ts';

// Only needed when opened: loaded on first use.
const FilePreviewDialog = lazy(() => import('./file-preview-dialog.tsx'));
const SignedLinkDialog = lazy(() => import('./signed-link-dialog.tsx'));

const PAGE_SIZE = 50;

/** One bucket: its files (search, pages), uploads by picker or drag-and-drop, previews, downloads, signed links. */
export function BucketPage() {
  const { bucketId = '' } = useParams();
  const selfdb = useSelfDB();
  const { config, user } = useSession();
  const isAdmin = user?.role === 'ADMIN';
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), 250);
  const [page, setPage] = useState(1);
  const [dragging, setDragging] = useState(false);
  const [editing, setEditing] = useState(false);
  const [deletingBucket, setDeletingBucket] = useState(false);
  const [deleting, setDeleting] = useState<FileResponse | null>(null);
  const [sort, setSort] = useState(0);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [deletingSelected, setDeletingSelected] = useState(false);
  const [previewing, setPreviewing] = useState<FileResponse | null>(null);
  const [signing, setSigning] = useState<FileResponse | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  // Deleted (here or elsewhere): nothing to reload any more.
  const [gone, setGone] = useState(false);
  const goneRef = useRef(false);

  const bucket = useAsync(
    async () => unwrap(await getBucket({ client: selfdb.client, path: { bucket_id: bucketId } })),
    [selfdb, bucketId],
  );
  const files = useAsync(
    async () =>
      unwrap(
        await listFiles({
          client: selfdb.client,
          query: {
            bucket_id: bucketId,
            page,
            page_size: PAGE_SIZE,
            search: term || undefined,
            sort_by: FILE_SORTS[sort]!.by,
            sort_order: FILE_SORTS[sort]!.order,
          },
        }),
      ),
    [selfdb, bucketId, term, page, sort],
  );
  const { reload: reloadFiles } = files;
  const { reload: reloadBucket } = bucket;
  const onUploaded = useCallback(() => {
    reloadFiles();
    reloadBucket();
  }, [reloadFiles, reloadBucket]);
  const uploads = useUploads(selfdb.client, bucketId, onUploaded);
  // Files and bucket changes made anywhere (another tab, the API) show up without a reload (the realtime topics of
  // system tables are for admins).
  const concerns = (change: ChangePayload, key: string) =>
    change.new?.[key] === bucketId || change.old?.[key] === bucketId;
  const live = useLiveChanges(
    selfdb,
    'files',
    isAdmin,
    (change) => {
      if (!goneRef.current && concerns(change, 'bucket_id')) reloadFiles();
    },
    () => {
      if (!goneRef.current) reloadFiles();
    },
  );
  useLiveChanges(
    selfdb,
    'buckets',
    isAdmin,
    (change) => {
      if (!concerns(change, 'id')) return;
      if (change.event === 'DELETE') {
        goneRef.current = true;
        setGone(true);
      } else if (!goneRef.current) {
        reloadBucket();
      }
    },
    () => {
      if (!goneRef.current) reloadBucket();
    },
  );

  async function download(file: FileResponse) {
    setActionError(null);
    try {
      // A short-lived signed link: the browser streams the file to disk (no copy in memory, any size).
      const signed = unwrap(
        await createSignedUrl({
          client: selfdb.client,
          path: { file_id: file.id },
          body: { expires_in: 60 },
        }),
      );
      const link = document.createElement('a');
      link.href = absoluteSignedUrl(config.apiUrl, signed.url);
      link.download = file.name;
      link.rel = 'noopener';
      document.body.append(link);
      link.click();
      link.remove();
    } catch (err) {
      setActionError(err);
    }
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length > 0) uploads.add(Array.from(event.dataTransfer.files));
  }

  if (gone) {
    return (
      <>
        <BackLink />
        <EmptyState title="This bucket was deleted">Its files are gone with it.</EmptyState>
      </>
    );
  }
  if (bucket.error && !bucket.data) {
    return (
      <>
        <BackLink />
        <LoadError error={bucket.error} onRetry={bucket.reload} />
      </>
    );
  }
  if (!bucket.data) return <Loading />;
  const info: BucketResponse = bucket.data;
  // Only what is on screen counts as selected (a file deleted elsewhere or on another page drops out).
  const shownSelected = (files.data?.files ?? []).filter((file) => selected.has(file.id));

  return (
    <>
      <BackLink />
      <PageHeader
        title={info.name}
        description={`${plural(info.file_count, 'file')} · ${formatBytes(info.total_size)}${info.description ? ` · ${info.description}` : ''}`}
        actions={
          <>
            <label className="inline-flex cursor-pointer items-center justify-center rounded-md bg-emerald-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-emerald-700 focus-within:ring-2 focus-within:ring-emerald-500">
              Upload files
              <input
                type="file"
                multiple
                aria-label="Upload files"
                className="sr-only"
                onChange={(e) => {
                  if (e.target.files) uploads.add(Array.from(e.target.files));
                  e.target.value = '';
                }}
              />
            </label>
            <Button onClick={() => setEditing(true)}>Edit bucket</Button>
            <Button variant="danger" onClick={() => setDeletingBucket(true)}>
              Delete bucket
            </Button>
          </>
        }
      />
      <div className="mb-3 flex flex-wrap items-center gap-2">
        {info.public ? <Badge tone="amber">public</Badge> : <Badge>private</Badge>}
        <LiveBadge live={live} />
        {info.file_size_limit ? <Badge>max {formatBytes(info.file_size_limit)} per file</Badge> : null}
        {info.allowed_mime_types?.length ? <Badge>{info.allowed_mime_types.join(', ')}</Badge> : null}
      </div>
      <UploadsPanel
        items={uploads.items}
        onCancel={uploads.cancel}
        onRetry={uploads.retry}
        onDismiss={uploads.dismiss}
      />
      <div
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        className={`-mx-3 rounded-lg border-2 border-dashed p-3 transition-colors ${dragging ? 'border-emerald-500 bg-emerald-50 dark:bg-emerald-950/30' : 'border-transparent'}`}
      >
        <div className="mb-3 flex flex-wrap items-center gap-2">
          <Input
            type="search"
            placeholder="Search files"
            aria-label="Search files"
            className="max-w-xs"
            maxLength={100}
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setPage(1);
            }}
          />
          <Select
            aria-label="Sort files"
            className="max-w-[10rem]"
            value={sort}
            onChange={(e) => {
              setSort(Number(e.target.value));
              setPage(1);
            }}
          >
            {FILE_SORTS.map((option, index) => (
              <option key={option.label} value={index}>
                {option.label}
              </option>
            ))}
          </Select>
          {shownSelected.length > 0 ? (
            <Button size="sm" variant="danger" onClick={() => setDeletingSelected(true)}>
              Delete selected ({shownSelected.length})
            </Button>
          ) : null}
          <span className="ml-auto text-xs text-zinc-500">Drop files here to upload them.</span>
        </div>
        {actionError ? <ErrorMessage message={errorMessage(actionError)} /> : null}
        <AsyncStatus state={files} />
        {files.data && files.data.files.length === 0 ? (
          <EmptyState title={term ? 'No file matches this search' : 'No files yet'}>
            {term ? null : 'Upload files with the button above, or drop them here.'}
          </EmptyState>
        ) : null}
        {files.data && files.data.files.length > 0 ? (
          <>
            <DataTable label="Files">
              <thead>
                <tr>
                  <Th className="w-8">
                    <input
                      type="checkbox"
                      aria-label="Select all files on this page"
                      className="h-4 w-4 accent-emerald-600"
                      checked={shownSelected.length === files.data.files.length}
                      onChange={(e) =>
                        setSelected(new Set(e.target.checked ? files.data!.files.map((f) => f.id) : []))
                      }
                    />
                  </Th>
                  <Th>Name</Th>
                  <Th>Size</Th>
                  <Th>Type</Th>
                  <Th>Uploaded</Th>
                  <Th className="text-right">Actions</Th>
                </tr>
              </thead>
              <tbody>
                {files.data.files.map((file) => (
                  <tr key={file.id} data-testid="file-row">
                    <Td>
                      <input
                        type="checkbox"
                        aria-label={`Select ${file.path}`}
                        className="h-4 w-4 accent-emerald-600"
                        checked={selected.has(file.id)}
                        onChange={(e) =>
                          setSelected((current) => {
                            const next = new Set(current);
                            if (e.target.checked) next.add(file.id);
                            else next.delete(file.id);
                            return next;
                          })
                        }
                      />
                    </Td>
                    <Td className="max-w-sm break-all font-medium">{file.path}</Td>
                    <Td className="whitespace-nowrap">{formatBytes(file.size)}</Td>
                    <Td className="max-w-[12rem] truncate text-zinc-500">{file.mime_type}</Td>
                    <Td className="whitespace-nowrap text-zinc-500">{formatDate(file.created_at)}</Td>
                    <Td className="whitespace-nowrap text-right">
                      <div className="flex justify-end gap-1">
                        {previewKind(file.mime_type, file.name) ? (
                          <Button size="sm" onClick={() => setPreviewing(file)}>
                            Preview
                          </Button>
                        ) : null}
                        <Button size="sm" onClick={() => void download(file)}>
                          Download
                        </Button>
                        <Button size="sm" onClick={() => setSigning(file)}>
                          Signed link
                        </Button>
                        <Button size="sm" variant="danger" onClick={() => setDeleting(file)}>
                          Delete
                        </Button>
                      </div>
                    </Td>
                  </tr>
                ))}
              </tbody>
            </DataTable>
            <Pager page={page} pageSize={PAGE_SIZE} total={files.data.total} onPage={setPage} />
          </>
        ) : null}
      </div>
      <Suspense fallback={null}>
        {previewing ? (
          <FilePreviewDialog file={previewing} bucket={info} onClose={() => setPreviewing(null)} />
        ) : null}
        {signing ? <SignedLinkDialog file={signing} onClose={() => setSigning(null)} /> : null}
      </Suspense>
      {editing ? (
        <BucketDialog
          bucket={info}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            bucket.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete file"
          message={`Delete ${deleting.path}? This cannot be undone.`}
          confirmLabel="Delete file"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            unwrap(await deleteFile({ client: selfdb.client, path: { file_id: deleting.id } }));
            setDeleting(null);
            files.reload();
            bucket.reload();
          }}
        />
      ) : null}
      {deletingSelected ? (
        <ConfirmDialog
          title="Delete files"
          message={`Delete ${plural(shownSelected.length, 'file')}: ${shownSelected.map((f) => f.path).join(', ')}? This cannot be undone.`}
          confirmLabel="Delete files"
          onClose={() => setDeletingSelected(false)}
          onConfirm={async () => {
            const { removed, failed } = await removeEach(
              shownSelected.map((file) => file.id),
              async (id) => {
                unwrap(await deleteFile({ client: selfdb.client, path: { file_id: id } }));
              },
            );
            setSelected((current) => new Set([...current].filter((id) => !removed.includes(id))));
            files.reload();
            bucket.reload();
            if (failed.length > 0) {
              throw new Error(
                `Deleted ${removed.length} of ${removed.length + failed.length}; not deleted: ${failed.map((f) => errorMessage(f.error)).join('; ')}`,
              );
            }
            setDeletingSelected(false);
          }}
        />
      ) : null}
      {deletingBucket ? (
        <ConfirmDialog
          title="Delete bucket"
          message={`Delete the bucket ${info.name} and its ${plural(info.file_count, 'file')}? This cannot be undone.`}
          confirmLabel="Delete bucket"
          onClose={() => setDeletingBucket(false)}
          onConfirm={async () => {
            goneRef.current = true;
            try {
              unwrap(await deleteBucket({ client: selfdb.client, path: { bucket_id: info.id } }));
            } catch (err) {
              goneRef.current = false;
              throw err;
            }
            void navigate('/storage');
          }}
        />
      ) : null}
    </>
  );
}

function BackLink() {
  return (
    <Link
      to="/storage"
      className="mb-2 inline-block text-sm text-emerald-700 hover:underline dark:text-emerald-400"
    >
      ← Buckets
    </Link>
  );
}
