import { deleteFunction, deployFunction, type FunctionRead, listFunctions, unwrap } from '@selfdb/sdk';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Input, Select } from '../../components/ui/field.tsx';
import { Pager } from '../../components/ui/pager.tsx';
import { AsyncStatus, Badge, EmptyState, ErrorMessage, PageHeader } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { formatDate } from '../../lib/format.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { useDebounced } from '../../lib/use-debounced.ts';
import { CreateFunctionDialog } from './create-function-dialog.tsx';
import { describeTrigger, statusTone } from './functions.ts';

const PAGE_SIZE = 50;
type SortBy = 'created_at' | 'name' | 'last_executed_at' | 'execution_count';

/** The deployment status, with the version that runs when it is not the latest. */
export function DeploymentBadge({ fn }: { fn: FunctionRead }) {
  return (
    <span className="inline-flex items-center gap-1">
      <Badge tone={statusTone(fn.deployment_status)}>{fn.deployment_status}</Badge>
      {fn.deployed_version !== null && fn.deployed_version !== fn.version ? (
        <span className="text-xs text-zinc-500">v{fn.deployed_version} runs</span>
      ) : null}
    </span>
  );
}

/** Functions: search, sort, pages; create, deploy and delete; a name opens the function. */
export function FunctionsPage() {
  const selfdb = useSelfDB();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), 250);
  const [sortBy, setSortBy] = useState<SortBy>('created_at');
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<FunctionRead | null>(null);
  const [deployingId, setDeployingId] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const functions = useAsync(
    async () =>
      unwrap(
        await listFunctions({
          client: selfdb.client,
          query: {
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
            search: term || undefined,
            sort_by: sortBy,
            sort_order: sortBy === 'name' ? 'asc' : 'desc',
          },
        }),
      ),
    [selfdb, term, sortBy, page],
  );

  async function deploy(fn: FunctionRead) {
    setActionError(null);
    setDeployingId(fn.id);
    try {
      const deployed = unwrap(await deployFunction({ client: selfdb.client, path: { function_id: fn.id } }));
      if (deployed.deployment_status === 'failed') {
        setActionError(`${fn.name} did not deploy: ${deployed.deployment_error ?? 'unknown reason'}`);
      }
      functions.reload();
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setDeployingId(null);
    }
  }

  const rows = functions.data?.functions ?? [];
  return (
    <>
      <PageHeader
        title="Functions"
        description={functions.data ? `${functions.data.total} functions` : undefined}
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create function
          </Button>
        }
      />
      <div className="mb-3 flex flex-wrap gap-2">
        <Input
          type="search"
          placeholder="Search functions"
          aria-label="Search functions"
          className="max-w-xs"
          maxLength={100}
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setPage(1);
          }}
        />
        <Select
          aria-label="Sort functions by"
          className="max-w-[12rem]"
          value={sortBy}
          onChange={(e) => {
            setSortBy(e.target.value as SortBy);
            setPage(1);
          }}
        >
          <option value="created_at">Newest</option>
          <option value="name">Name</option>
          <option value="last_executed_at">Last run</option>
          <option value="execution_count">Most runs</option>
        </Select>
      </div>
      {actionError ? <ErrorMessage message={actionError} /> : null}
      <AsyncStatus state={functions} />
      {functions.data && rows.length === 0 ? (
        <EmptyState title={term ? 'No function matches this search' : 'No functions yet'}>
          {term ? null : 'Create one: it runs on HTTP calls, schedules, table changes, events and webhooks.'}
        </EmptyState>
      ) : null}
      {functions.data && rows.length > 0 ? (
        <>
          <DataTable label="Functions">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Status</Th>
                <Th>Active</Th>
                <Th>Triggers</Th>
                <Th>Runs</Th>
                <Th>Last run</Th>
                <Th className="text-right">Actions</Th>
              </tr>
            </thead>
            <tbody>
              {rows.map((fn) => (
                <tr key={fn.id} data-testid="function-row">
                  <Td className="font-medium">
                    <Link
                      className="text-emerald-700 hover:underline dark:text-emerald-400"
                      to={`/functions/${fn.id}`}
                    >
                      {fn.name}
                    </Link>
                    {fn.description ? (
                      <div className="max-w-xs truncate text-xs font-normal text-zinc-500">
                        {fn.description}
                      </div>
                    ) : null}
                  </Td>
                  <Td>
                    <DeploymentBadge fn={fn} />
                  </Td>
                  <Td>{fn.is_active ? <Badge tone="emerald">active</Badge> : <Badge>inactive</Badge>}</Td>
                  <Td className="text-zinc-600 dark:text-zinc-400">
                    {fn.deployed_version === null
                      ? '—'
                      : fn.triggers.map((t) => describeTrigger(t)).join('; ')}
                  </Td>
                  <Td className="whitespace-nowrap">
                    {fn.execution_count}
                    {fn.execution_error_count > 0 ? (
                      <span className="text-red-600"> ({fn.execution_error_count} failed)</span>
                    ) : null}
                  </Td>
                  <Td className="whitespace-nowrap text-zinc-500">
                    {fn.last_executed_at ? formatDate(fn.last_executed_at) : 'never'}
                  </Td>
                  <Td className="whitespace-nowrap text-right">
                    <div className="flex justify-end gap-1">
                      <Button size="sm" disabled={deployingId === fn.id} onClick={() => void deploy(fn)}>
                        {deployingId === fn.id ? 'Deploying…' : 'Deploy'}
                      </Button>
                      <Button size="sm" variant="danger" onClick={() => setDeleting(fn)}>
                        Delete
                      </Button>
                    </div>
                  </Td>
                </tr>
              ))}
            </tbody>
          </DataTable>
          <Pager page={page} pageSize={PAGE_SIZE} total={functions.data.total} onPage={setPage} />
        </>
      ) : null}
      {creating ? (
        <CreateFunctionDialog
          onClose={() => setCreating(false)}
          onCreated={(fn) => void navigate(`/functions/${fn.id}`)}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete function"
          message={`Delete the function ${deleting.name} with its webhooks, executions and logs? This cannot be undone.`}
          confirmLabel="Delete function"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            unwrap(await deleteFunction({ client: selfdb.client, path: { function_id: deleting.id } }));
            setDeleting(null);
            functions.reload();
          }}
        />
      ) : null}
    </>
  );
}
