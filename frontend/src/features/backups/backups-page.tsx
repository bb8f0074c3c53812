import {
  type BackupInfo,
  type BackupProgress,
  type BackupVerifyResult,
  createNewBackup,
  deleteBackupFile,
  downloadBackup,
  getBackupProgress,
  getBackupSchedule,
  listAllBackups,
  unwrap,
  verifyBackupFile,
} from '@selfdb/sdk';
import { useEffect, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog.tsx';
import { AsyncStatus, Badge, EmptyState, ErrorMessage, PageHeader } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { formatBytes, formatDate } from '../../lib/format.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { backupKind, progressFraction, progressLabel, scheduleSummary } from './backups.ts';

const POLL_MS = 500;

/** Backups: the archives of the backups folder; create (with live progress), download, verify, delete. */
export function BackupsPage() {
  const selfdb = useSelfDB();
  const [busy, setBusy] = useState<'create' | 'verify' | null>(null);
  const [progress, setProgress] = useState<BackupProgress | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<BackupInfo | null>(null);
  const [verified, setVerified] = useState<{ filename: string; result: BackupVerifyResult } | null>(null);

  const backups = useAsync(
    async function loadBackups() {
      return unwrap(await listAllBackups({ client: selfdb.client }));
    },
    [selfdb],
  );

  const schedule = useAsync(
    async function loadSchedule() {
      return unwrap(await getBackupSchedule({ client: selfdb.client }));
    },
    [selfdb],
  );

  // Follows the progress while this page runs something, and on opening (a scheduled backup, the CLI or another
  // replica may be running one: the list is read again when it ends).
  const [watching, setWatching] = useState(true);
  const follow = busy !== null || watching;
  const reloadBackups = backups.reload;
  useEffect(() => {
    if (!follow) return;
    let stopped = false;
    let sawRunning = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function poll() {
      try {
        const snapshot = unwrap(await getBackupProgress({ client: selfdb.client }));
        if (stopped) return;
        setProgress(snapshot);
        if (snapshot.running) sawRunning = true;
        if (!snapshot.running && busy === null) {
          setWatching(false);
          if (sawRunning) reloadBackups();
          return;
        }
      } catch {
        // A missed poll is not an error of the page (the operation's own answer tells how it ended); with nothing
        // running here, stop asking.
        if (busy === null) {
          setWatching(false);
          return;
        }
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    }
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [selfdb, follow, busy, reloadBackups]);

  async function createBackup() {
    setBusy('create');
    setNotice(null);
    setActionError(null);
    try {
      const result = unwrap(await createNewBackup({ client: selfdb.client }));
      setNotice(result.message);
      backups.reload();
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setBusy(null);
      // One more look at the progress, so the bar goes once the server says the operation is over.
      setWatching(true);
    }
  }

  async function verify(backup: BackupInfo) {
    setBusy('verify');
    setNotice(null);
    setActionError(null);
    try {
      const result = unwrap(
        await verifyBackupFile({ client: selfdb.client, path: { filename: backup.filename } }),
      );
      setVerified({ filename: backup.filename, result });
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setBusy(null);
      // One more look at the progress, so the bar goes once the server says the operation is over.
      setWatching(true);
    }
  }

  async function download(backup: BackupInfo) {
    setActionError(null);
    try {
      const blob = unwrap(
        await downloadBackup({
          client: selfdb.client,
          path: { filename: backup.filename },
          parseAs: 'blob',
        }),
      ) as Blob;
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = backup.filename;
      document.body.append(link);
      link.click();
      link.remove();
      // The browser has taken the file; the object URL can go once the click is handled.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  const running = progress?.running ? progress : null;
  const rows = backups.data ?? [];
  return (
    <>
      <PageHeader
        title="Backups"
        description={
          backups.data
            ? `${rows.length} ${rows.length === 1 ? 'archive' : 'archives'} · database, storage files and .env`
            : undefined
        }
        actions={
          <Button variant="primary" onClick={() => void createBackup()} disabled={busy !== null || !!running}>
            {busy === 'create' ? 'Creating…' : 'Create backup'}
          </Button>
        }
      />
      {running ? <ProgressBar progress={running} /> : null}
      {notice ? (
        <p
          role="status"
          className="mb-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200"
        >
          {notice}
        </p>
      ) : null}
      {actionError ? (
        <div className="mb-3">
          <ErrorMessage message={actionError} />
        </div>
      ) : null}
      <AsyncStatus state={backups} />
      {backups.data && rows.length === 0 ? (
        <EmptyState title="No backups yet">
          Create one now; the schedule (BACKUP_SCHEDULE_CRON) and <code>./selfdb.sh backup</code> add theirs
          here too.
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <DataTable label="Backups">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Kind</Th>
              <Th className="text-right">Size</Th>
              <Th>Created</Th>
              <Th className="text-right">Actions</Th>
            </tr>
          </thead>
          <tbody>
            {rows.map((backup) => (
              <tr key={backup.filename} data-testid="backup-row">
                <Td className="font-mono text-xs">{backup.filename}</Td>
                <Td>
                  <Badge tone={backupKind(backup.filename) === 'standard' ? 'zinc' : 'emerald'}>
                    {backupKind(backup.filename)}
                  </Badge>
                </Td>
                <Td className="whitespace-nowrap text-right tabular-nums">{formatBytes(backup.size)}</Td>
                <Td className="whitespace-nowrap text-zinc-500">{formatDate(backup.created_at)}</Td>
                <Td className="whitespace-nowrap text-right">
                  <div className="flex justify-end gap-1">
                    <Button
                      size="sm"
                      aria-label={`Download ${backup.filename}`}
                      onClick={() => void download(backup)}
                    >
                      Download
                    </Button>
                    <Button
                      size="sm"
                      aria-label={`Verify ${backup.filename}`}
                      disabled={busy !== null || !!running}
                      onClick={() => void verify(backup)}
                    >
                      Verify
                    </Button>
                    <Button
                      size="sm"
                      variant="danger"
                      aria-label={`Delete ${backup.filename}`}
                      onClick={() => setDeleting(backup)}
                    >
                      Delete
                    </Button>
                  </div>
                </Td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <p className="mt-4 text-xs text-zinc-500" data-testid="backup-schedule">
        {schedule.data ? `${scheduleSummary(schedule.data)} ` : null}
        {schedule.error ? 'The schedule could not be read. ' : null}A restore replaces everything and is only
        offered on a fresh install, from the sign-in page.
      </p>
      {verified ? (
        <VerifyReportDialog
          filename={verified.filename}
          result={verified.result}
          onClose={() => setVerified(null)}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete backup"
          message={`Delete ${deleting.filename}? The archive is removed from the server. This cannot be undone.`}
          confirmLabel="Delete backup"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            unwrap(await deleteBackupFile({ client: selfdb.client, path: { filename: deleting.filename } }));
            setDeleting(null);
            backups.reload();
          }}
        />
      ) : null}
    </>
  );
}

function ProgressBar({ progress }: { progress: BackupProgress }) {
  const fraction = progressFraction(progress);
  const label = progressLabel(progress);
  return (
    <div
      className="mb-3 rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800"
      data-testid="backup-progress"
    >
      <p className="mb-1.5 text-sm text-zinc-700 dark:text-zinc-300">{label}</p>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
        className="h-2 overflow-hidden rounded bg-zinc-200 dark:bg-zinc-800"
      >
        <div
          className={`h-full bg-emerald-600 transition-[width] ${fraction === null ? 'w-1/3 animate-pulse' : ''}`}
          style={fraction === null ? undefined : { width: `${Math.round(fraction * 100)}%` }}
        />
      </div>
    </div>
  );
}

function VerifyReportDialog({
  filename,
  result,
  onClose,
}: {
  filename: string;
  result: BackupVerifyResult;
  onClose(): void;
}) {
  return (
    <Dialog title="Verification" onClose={onClose} wide footer={<Button onClick={onClose}>Close</Button>}>
      <div className="space-y-3 text-sm">
        <p className="font-mono text-xs">{filename}</p>
        {result.ok ? (
          <p role="status" className="font-medium text-emerald-700 dark:text-emerald-400">
            OK: the archive restores completely.
          </p>
        ) : (
          <p role="alert" className="font-medium text-red-700 dark:text-red-400">
            Failed: {result.problems.length} {result.problems.length === 1 ? 'problem' : 'problems'}.
          </p>
        )}
        <ul className="list-inside list-disc text-zinc-600 dark:text-zinc-400">
          <li>
            {result.has_manifest
              ? 'Manifest: every member checksum matches'
              : 'No manifest (an archive of SelfDB 0.0.5?)'}
          </li>
          <li>
            {result.members} members, {result.storage_files} storage files, checked in{' '}
            {(result.duration_ms / 1000).toFixed(1)} s
          </li>
          {result.migrations_applied.length > 0 ? (
            <li>Migrations it needs: {result.migrations_applied.join(', ')}</li>
          ) : null}
        </ul>
        {result.problems.length > 0 ? (
          <ul className="space-y-1">
            {result.problems.map((problem) => (
              <li key={problem} className="whitespace-pre-wrap break-words text-red-700 dark:text-red-400">
                {problem}
              </li>
            ))}
          </ul>
        ) : null}
        {result.tables.length > 0 ? (
          <DataTable label="Rows per table">
            <thead>
              <tr>
                <Th>Table</Th>
                <Th className="text-right">Restored</Th>
                <Th className="text-right">Manifest</Th>
              </tr>
            </thead>
            <tbody>
              {result.tables.map((table) => (
                <tr key={table.table}>
                  <Td className="font-mono text-xs">{table.table}</Td>
                  <Td className="text-right tabular-nums">{table.restored}</Td>
                  <Td className="text-right tabular-nums">{table.expected ?? '—'}</Td>
                </tr>
              ))}
            </tbody>
          </DataTable>
        ) : null}
      </div>
    </Dialog>
  );
}
