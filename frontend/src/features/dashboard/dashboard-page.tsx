import {
  getFunctionCount,
  getStorageStats,
  getSystemStatus,
  getTableCount,
  getUserCount,
  listWebhooks,
  unwrap,
} from '@selfdb/sdk';
import { Link } from 'react-router';
import { LoadError, Loading, PageHeader } from '../../components/ui/states.tsx';
import { formatBytes } from '../../lib/format.ts';
import { useSelfDB, useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';

interface Summary {
  version: string;
  /** null for non-admins: only admins may count users. */
  users: number | null;
  tables: number;
  storageBytes: number;
  files: number;
  buckets: number;
  /** null for non-admins: functions and webhooks are admin only. */
  functions: number | null;
  webhooks: number | null;
}

function Card({
  title,
  value,
  subtitle,
  to,
}: {
  title: string;
  value: string;
  subtitle?: string;
  to?: string;
}) {
  const body = (
    <div className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
      <p className="text-sm text-zinc-500">{title}</p>
      <p className="mt-1 text-2xl font-semibold" data-testid={`card-${title.toLowerCase()}`}>
        {value}
      </p>
      {subtitle ? <p className="mt-1 text-xs text-zinc-500">{subtitle}</p> : null}
    </div>
  );
  return to ? (
    <Link to={to} className="block hover:opacity-90">
      {body}
    </Link>
  ) : (
    body
  );
}

/** 0.0.5's summary cards: users, tables, storage (size and buckets), functions and webhooks. */
export function DashboardPage() {
  const selfdb = useSelfDB();
  const { user } = useSession();
  const isAdmin = user?.role === 'ADMIN';
  const summary = useAsync(async (): Promise<Summary> => {
    const client = selfdb.client;
    const [status, users, tables, storage, functions, webhooks] = await Promise.all([
      getSystemStatus({ client }).then(unwrap),
      isAdmin ? getUserCount({ client }).then(unwrap) : null,
      getTableCount({ client }).then(unwrap),
      getStorageStats({ client }).then(unwrap),
      isAdmin ? getFunctionCount({ client }).then(unwrap) : null,
      isAdmin ? listWebhooks({ client, query: { limit: 1 } }).then((r) => unwrap(r).total) : null,
    ]);
    return {
      version: status.version,
      users,
      tables,
      storageBytes: storage.total_size,
      files: storage.total_files,
      buckets: storage.bucket_count,
      functions,
      webhooks,
    };
  }, [selfdb, isAdmin]);

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={`Welcome${user?.firstName ? `, ${user.firstName}` : ''}.${summary.data ? ` SelfDB ${summary.data.version}.` : ''}`}
      />
      {summary.loading && !summary.data ? <Loading /> : null}
      {summary.error ? <LoadError error={summary.error} onRetry={summary.reload} /> : null}
      {summary.data ? (
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {summary.data.users === null ? null : (
            <Card title="Users" value={String(summary.data.users)} to="/users" />
          )}
          <Card title="Tables" value={String(summary.data.tables)} to="/tables" />
          <Card
            title="Storage"
            value={formatBytes(summary.data.storageBytes)}
            subtitle={`${summary.data.files} files in ${summary.data.buckets} buckets`}
            to="/storage"
          />
          {summary.data.functions === null ? null : (
            <Card title="Functions" value={String(summary.data.functions)} to="/functions" />
          )}
          {summary.data.webhooks === null ? null : (
            <Card
              title="Webhooks"
              value={String(summary.data.webhooks)}
              subtitle="Each on its function's page"
              to="/functions"
            />
          )}
        </div>
      ) : null}
    </>
  );
}
