import {
  type FunctionExecutionRead,
  type FunctionRead,
  listFunctionExecutions,
  listFunctionLogs,
  unwrap,
} from '@selfdb/sdk';
import { Fragment, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Select } from '../../components/ui/field.tsx';
import { Pager } from '../../components/ui/pager.tsx';
import { AsyncStatus, Badge, EmptyState } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { formatDate } from '../../lib/format.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { formatBody, formatDuration, type LogLine, logsOfExecution, statusTone } from './functions.ts';
import { useRefreshWhile } from './use-refresh-while.ts';

const PAGE_SIZE = 20;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

const levelTone = (level: string) => (level === 'error' ? 'red' : level === 'warn' ? 'amber' : 'zinc');

function LogLines({ lines }: { lines: LogLine[] }) {
  return (
    <ol className="space-y-0.5 font-mono text-xs">
      {lines.map((line) => (
        <li key={line.id} className="flex gap-2" data-testid="log-line">
          <span className="shrink-0 text-zinc-500">{new Date(line.timestamp).toLocaleTimeString()}</span>
          <span className="w-12 shrink-0">
            <Badge tone={levelTone(line.log_level)}>{line.log_level}</Badge>
          </span>
          <span className="whitespace-pre-wrap break-all">{line.message}</span>
        </li>
      ))}
    </ol>
  );
}

/** One execution's result or error and its log lines. */
function ExecutionDetail({ fn, execution }: { fn: FunctionRead; execution: FunctionExecutionRead }) {
  const selfdb = useSelfDB();
  const logs = useAsync(
    () =>
      logsOfExecution(execution, async (offset, limit) =>
        unwrap(
          await listFunctionLogs({
            client: selfdb.client,
            path: { function_id: fn.id },
            query: { offset, limit },
          }),
        ),
      ),
    [selfdb, fn.id, execution.id],
  );
  return (
    <div className="space-y-2">
      {execution.error_message ? (
        <p className="whitespace-pre-wrap break-words text-sm text-red-700 dark:text-red-300">
          {execution.error_message}
        </p>
      ) : null}
      {execution.result !== null ? (
        <pre className="max-h-48 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900">
          {formatBody(execution.result)}
        </pre>
      ) : null}
      <div className="text-xs font-semibold uppercase tracking-wide text-zinc-500">Logs</div>
      <AsyncStatus state={logs} label="Loading logs…" />
      {logs.data && logs.data.lines.length === 0 ? (
        <p className="text-sm text-zinc-500">No log lines.</p>
      ) : null}
      {logs.data ? <LogLines lines={logs.data.lines} /> : null}
      {logs.data && !logs.data.complete ? (
        <p className="text-xs text-zinc-500">Older lines of this run are not shown (see the Logs tab).</p>
      ) : null}
    </div>
  );
}

/** The function's runs, newest first: status, trigger, duration; a row opens its result and logs. */
export function ExecutionsPanel({ fn, onRefresh }: { fn: FunctionRead; onRefresh(): void }) {
  const selfdb = useSelfDB();
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const executions = useAsync(
    async () =>
      unwrap(
        await listFunctionExecutions({
          client: selfdb.client,
          path: { function_id: fn.id },
          query: { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE },
        }),
      ),
    [selfdb, fn.id, page],
  );
  const rows = executions.data?.executions ?? [];
  useRefreshWhile(
    rows.some((e) => e.status === 'running'),
    () => {
      executions.reload();
      onRefresh();
    },
  );
  return (
    <div className="space-y-3">
      <div className="flex justify-end">
        <Button
          size="sm"
          onClick={() => {
            executions.reload();
            onRefresh(); // the function's counters and last run too
          }}
        >
          Refresh
        </Button>
      </div>
      <AsyncStatus state={executions} />
      {executions.data && rows.length === 0 ? (
        <EmptyState title="No executions yet">
          Runs appear here with their logs once the function runs.
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <>
          <DataTable label="Executions">
            <thead>
              <tr>
                <Th>Started</Th>
                <Th>Status</Th>
                <Th>Trigger</Th>
                <Th>Duration</Th>
                <Th>Error</Th>
                <Th className="text-right">Details</Th>
              </tr>
            </thead>
            <tbody>
              {rows.map((execution) => (
                <Fragment key={execution.id}>
                  <tr data-testid="execution-row">
                    <Td className="whitespace-nowrap">{formatDate(execution.started_at)}</Td>
                    <Td>
                      <Badge tone={statusTone(execution.status)}>{execution.status}</Badge>
                    </Td>
                    <Td>{execution.trigger_type}</Td>
                    <Td className="whitespace-nowrap">{formatDuration(execution.duration_ms)}</Td>
                    <Td className="max-w-xs truncate text-red-700 dark:text-red-300">
                      {execution.error_message}
                    </Td>
                    <Td className="text-right">
                      <Button
                        size="sm"
                        aria-expanded={open === execution.id}
                        onClick={() => setOpen(open === execution.id ? null : execution.id)}
                      >
                        {open === execution.id ? 'Hide logs' : 'Logs'}
                      </Button>
                    </Td>
                  </tr>
                  {open === execution.id ? (
                    <tr>
                      <Td colSpan={6} className="bg-zinc-50/60 dark:bg-zinc-900/60">
                        <ExecutionDetail fn={fn} execution={execution} />
                      </Td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </DataTable>
          <Pager page={page} pageSize={PAGE_SIZE} total={executions.data?.total ?? 0} onPage={setPage} />
        </>
      ) : null}
    </div>
  );
}

const LOG_PAGE_SIZE = 100;

/** All the function's log lines, newest first, filtered by level. */
export function LogsPanel({ fn }: { fn: FunctionRead }) {
  const selfdb = useSelfDB();
  const [page, setPage] = useState(1);
  const [level, setLevel] = useState<'' | (typeof LOG_LEVELS)[number]>('');
  const logs = useAsync(
    async () =>
      unwrap(
        await listFunctionLogs({
          client: selfdb.client,
          path: { function_id: fn.id },
          query: { limit: LOG_PAGE_SIZE, offset: (page - 1) * LOG_PAGE_SIZE, level: level || undefined },
        }),
      ),
    [selfdb, fn.id, page, level],
  );
  return (
    <div className="space-y-3">
      <div className="flex items-center justify-between gap-2">
        <Select
          aria-label="Log level"
          className="max-w-[10rem]"
          value={level}
          onChange={(e) => {
            setLevel(e.target.value as typeof level);
            setPage(1);
          }}
        >
          <option value="">All levels</option>
          {LOG_LEVELS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </Select>
        <Button size="sm" onClick={logs.reload}>
          Refresh
        </Button>
      </div>
      <AsyncStatus state={logs} />
      {logs.data && logs.data.logs.length === 0 ? (
        <EmptyState title={level ? `No ${level} lines` : 'No log lines yet'}>
          What the function writes with console.log, warn and error appears here.
        </EmptyState>
      ) : null}
      {logs.data && logs.data.logs.length > 0 ? (
        <>
          <div className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
            <LogLines lines={logs.data.logs} />
          </div>
          <Pager page={page} pageSize={LOG_PAGE_SIZE} total={logs.data.total} onPage={setPage} />
        </>
      ) : null}
    </div>
  );
}
