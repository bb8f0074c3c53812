import type { SqlExecutionResult } from '@selfdb/sdk';
import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Pager } from '../../components/ui/pager.tsx';
import { Badge, ErrorMessage } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { displayValue } from '../../lib/format.ts';
import { csvFileName, toCsv } from './csv.ts';
import type { StatementRun } from './run-plan.ts';

const PAGE_SIZE = 100;

/** Downloads a CSV made in the browser (a Blob URL: nothing goes back to the server). */
function downloadCsv(columns: string[], rows: Record<string, unknown>[]) {
  const blob = new Blob([toCsv(columns, rows)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = csvFileName();
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function rowsLabel(count: number, affected: boolean): string {
  return `${count} ${count === 1 ? 'row' : 'rows'}${affected ? ' affected' : ''}`;
}

function durationOf(result: SqlExecutionResult): string {
  const ms = result.execution_time * 1000;
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function ResultGrid({
  columns,
  rows,
  label,
}: {
  columns: string[];
  rows: Record<string, unknown>[];
  label: string;
}) {
  const [page, setPage] = useState(1);
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  return (
    <>
      <DataTable label={label}>
        <thead>
          <tr>
            {columns.map((column, i) => (
              <Th key={`${i}:${column}`} className="whitespace-nowrap normal-case!">
                {column}
              </Th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((row, r) => (
            <tr key={r}>
              {columns.map((column, i) => {
                const value = row[column];
                return (
                  <Td
                    key={`${i}:${column}`}
                    className="max-w-md truncate font-mono text-xs"
                    title={displayValue(value)}
                  >
                    {value === null || value === undefined ? (
                      <span className="text-zinc-400">NULL</span>
                    ) : (
                      displayValue(value)
                    )}
                  </Td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </DataTable>
      {rows.length > PAGE_SIZE ? (
        <Pager page={page} pageSize={PAGE_SIZE} total={rows.length} onPage={setPage} />
      ) : null}
    </>
  );
}

/** A statement's result: its rows as a grid (text only) with CSV export, or its message, or the API's error. */
export function ResultView({ run }: { run: StatementRun }) {
  const { result } = run;
  const columns = result?.columns ?? null;
  const rows = (result?.data ?? []) as Record<string, unknown>[];
  return (
    <section aria-label={`Result of ${run.title}`} className="space-y-2">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex min-w-0 items-center gap-2 text-sm">
          <span className="font-medium">{run.title}</span>
          {run.state === 'done' && result ? (
            <>
              <Badge tone="emerald">{rowsLabel(result.row_count ?? 0, columns === null)}</Badge>
              <span className="text-zinc-500">{durationOf(result)}</span>
              {result.is_read_only ? <Badge>read-only</Badge> : null}
              {run.truncated ? <Badge tone="amber">cut at the row limit</Badge> : null}
            </>
          ) : null}
          {run.state === 'error' ? <Badge tone="red">failed</Badge> : null}
          {run.state === 'running' ? <span className="text-zinc-500">Running…</span> : null}
          {run.state === 'waiting' ? <span className="text-zinc-500">Waiting for confirmation…</span> : null}
          {run.state === 'cancelled' ? <Badge>not run</Badge> : null}
        </div>
        {run.state === 'done' && columns ? (
          <Button size="sm" onClick={() => downloadCsv(columns, rows)}>
            Export CSV
          </Button>
        ) : null}
      </div>
      <pre className="max-h-16 overflow-hidden text-ellipsis whitespace-pre-wrap break-words font-mono text-xs text-zinc-500">
        {run.sql}
      </pre>
      {run.state === 'error' && run.error ? <ErrorMessage message={run.error} /> : null}
      {run.state === 'done' && result && columns ? (
        columns.length === 0 ? (
          <p className="text-sm text-zinc-500">{result.message ?? 'No columns.'}</p>
        ) : (
          <ResultGrid columns={columns} rows={rows} label={`Rows of ${run.title}`} />
        )
      ) : null}
      {run.state === 'done' && result && !columns ? (
        <p className="text-sm text-zinc-700 dark:text-zinc-300">{result.message}</p>
      ) : null}
      {run.state === 'done' && result && columns && result.message && run.truncated ? (
        <p className="text-xs text-amber-700 dark:text-amber-400">{result.message}</p>
      ) : null}
    </section>
  );
}
