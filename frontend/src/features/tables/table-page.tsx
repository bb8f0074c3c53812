import {
  type ChangePayload,
  deleteRow,
  type Filter,
  getTableData,
  readTable,
  rowQuery,
  unwrap,
  updateRow,
  updateTable,
} from '@selfdb/sdk';
import { useCallback, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
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
import { errorMessage } from '../../lib/errors.ts';
import { displayValue } from '../../lib/format.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { columnsOf, parseCellInput } from './columns.ts';
import { ColumnsDialog } from './columns-dialog.tsx';
import { DataGrid, type Row, type SortState } from './data-grid.tsx';
import { FilterBar } from './filter-bar.tsx';
import { InsertRowDialog } from './row-dialog.tsx';
import { LiveBadge } from './live-badge.tsx';
import { useLiveChanges } from './use-live-changes.ts';

const PAGE_SIZE = 50;

/**
 * One table's rows: server-side filters, sort and pages; double-click a cell to edit it; insert and delete rows;
 * changes made anywhere else appear, change and vanish live.
 */
export function TablePage() {
  const { tableId = '' } = useParams();
  const selfdb = useSelfDB();
  const table = useAsync(
    async () => unwrap(await readTable({ client: selfdb.client, path: { table_id: tableId } })),
    [selfdb, tableId],
  );
  const columns = useMemo(() => columnsOf(table.data?.table_schema ?? {}), [table.data]);
  const idColumn = columns.some((c) => c.name === 'id') ? 'id' : null;

  const [filters, setFilters] = useState<Filter[]>([]);
  const [sort, setSort] = useState<SortState | null>(null);
  const [page, setPage] = useState(1);
  const [inserting, setInserting] = useState(false);
  const [editingColumns, setEditingColumns] = useState(false);
  const [deleting, setDeleting] = useState<Row | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [flashed, setFlashed] = useState<ReadonlySet<string>>(new Set());

  // Newest first until a header is clicked, when the table has created_at (the API adds it to tables it creates).
  const defaultOrder = columns.some((c) => c.name === 'created_at')
    ? [{ column: 'created_at', ascending: false }]
    : [];
  const order = sort ? [{ column: sort.column, ascending: sort.ascending }] : defaultOrder;
  const orderKey = JSON.stringify(order);
  // A column added or dropped changes what every row holds: fetch them again.
  const columnsKey = columns.map((c) => c.name).join(',');
  const rows = useAsync(async () => {
    const query = rowQuery({ page, pageSize: PAGE_SIZE, filters, order });
    // The generated type lists only 0.0.5's parameters; filters, order and select are further keys.
    return unwrap(
      await getTableData({ client: selfdb.client, path: { table_id: tableId }, query: query as never }),
    );
  }, [selfdb, tableId, filters, orderKey, page, columnsKey]);

  // Inserts change which rows belong on this page (filters, order): refetch, at most once per burst of changes.
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reloadRowsSoon = useCallback(() => {
    if (reloadTimer.current) clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(rows.reload, 150);
  }, [rows.reload]);

  const flash = useCallback((id: string) => {
    setFlashed((current) => new Set(current).add(id));
    setTimeout(
      () =>
        setFlashed((current) => {
          const next = new Set(current);
          next.delete(id);
          return next;
        }),
      2000,
    );
  }, []);

  const onChange = useCallback(
    (change: ChangePayload) => {
      const key = (row: Row | null) => (idColumn && row ? displayValue(row[idColumn]) : null);
      if (change.event === 'INSERT') {
        const id = key(change.new);
        if (id) flash(id);
        reloadRowsSoon();
      } else if (change.event === 'UPDATE') {
        const id = key(change.new);
        if (!id || !change.new) return reloadRowsSoon();
        const updated = change.new;
        rows.setData(
          (current) =>
            current && { ...current, data: current.data.map((r) => (key(r) === id ? updated : r)) },
        );
        flash(id);
      } else {
        const id = key(change.old);
        if (!id) return reloadRowsSoon();
        rows.setData((current) => {
          if (!current || !current.data.some((r) => key(r) === id)) return current;
          return {
            ...current,
            data: current.data.filter((r) => key(r) !== id),
            total: current.total === null ? null : current.total - 1,
          };
        });
      }
    },
    [idColumn, flash, reloadRowsSoon, rows],
  );
  const live = useLiveChanges(
    selfdb,
    table.data?.name,
    table.data?.realtime_enabled === true,
    onChange,
    rows.reload,
  );

  async function changeTable(body: { public?: boolean; realtime_enabled?: boolean }) {
    setActionError(null);
    try {
      const updated = unwrap(await updateTable({ client: selfdb.client, path: { table_id: tableId }, body }));
      table.setData(() => updated);
    } catch (err) {
      setActionError(errorMessage(err));
    }
  }

  if (table.error) return <LoadError error={table.error} onRetry={table.reload} />;
  if (!table.data) return <Loading />;
  const t = table.data;

  return (
    <>
      <div className="mb-2 text-sm">
        <Link to="/tables" className="text-zinc-500 hover:underline">
          ← Tables
        </Link>
      </div>
      <PageHeader
        title={t.name}
        description={t.description ?? undefined}
        actions={
          <>
            <Button onClick={() => setEditingColumns(true)}>Columns</Button>
            <Button variant="primary" onClick={() => setInserting(true)}>
              Insert row
            </Button>
          </>
        }
      />
      <div className="mb-3 flex flex-wrap items-center gap-2">
        {t.public ? <Badge tone="amber">public</Badge> : <Badge>private</Badge>}
        <Button size="sm" onClick={() => void changeTable({ public: !t.public })}>
          {t.public ? 'Make private' : 'Make public'}
        </Button>
        <LiveBadge live={live} />
        {t.realtime_enabled ? (
          <Button size="sm" onClick={() => void changeTable({ realtime_enabled: false })}>
            Turn live updates off
          </Button>
        ) : (
          <span className="text-sm text-zinc-500">
            Live updates are off for this table.{' '}
            <Button size="sm" onClick={() => void changeTable({ realtime_enabled: true })}>
              Turn on
            </Button>
          </span>
        )}
      </div>
      {actionError ? (
        <div className="mb-3">
          <ErrorMessage message={actionError} />
        </div>
      ) : null}
      <FilterBar
        columns={columns}
        onApply={(next) => {
          setFilters(next);
          setPage(1);
        }}
      />
      <AsyncStatus state={rows} />
      {rows.data && !rows.error ? (
        rows.data.data.length === 0 ? (
          <EmptyState title={filters.length ? 'No row matches these filters' : 'No rows yet'}>
            {filters.length ? null : 'Insert one, or add rows through the API: they appear here live.'}
          </EmptyState>
        ) : (
          <>
            <DataGrid
              columns={columns}
              rows={rows.data.data}
              idColumn={idColumn}
              sort={sort}
              onSort={(next) => {
                setSort(next);
                setPage(1);
              }}
              flashed={flashed}
              onDeleteRow={setDeleting}
              onSaveCell={async (row, column, text) => {
                const value = parseCellInput(column, text);
                const result = unwrap(
                  await updateRow({
                    client: selfdb.client,
                    path: { table_id: tableId, row_id: displayValue(row[idColumn!]) },
                    query: { id_column: idColumn! },
                    body: { [column.name]: value },
                  }),
                );
                const updated = result.data as Row;
                rows.setData(
                  (current) =>
                    current && { ...current, data: current.data.map((r) => (r === row ? updated : r)) },
                );
              }}
            />
            <Pager
              page={page}
              pageSize={PAGE_SIZE}
              total={rows.data.total}
              shown={rows.data.data.length}
              onPage={setPage}
            />
          </>
        )
      ) : null}
      {!idColumn && rows.data ? (
        <p className="mt-2 text-sm text-zinc-500">This table has no id column: rows are read-only here.</p>
      ) : null}
      {editingColumns ? (
        <ColumnsDialog
          tableId={tableId}
          columns={columns}
          onClose={() => setEditingColumns(false)}
          onChanged={table.reload}
        />
      ) : null}
      {inserting ? (
        <InsertRowDialog
          tableId={tableId}
          columns={columns}
          onClose={() => setInserting(false)}
          onInserted={() => {
            setInserting(false);
            rows.reload();
          }}
        />
      ) : null}
      {deleting && idColumn ? (
        <ConfirmDialog
          title="Delete row"
          message={`Delete the row ${displayValue(deleting[idColumn])}? This cannot be undone.`}
          confirmLabel="Delete row"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            const id = displayValue(deleting[idColumn]);
            unwrap(
              await deleteRow({
                client: selfdb.client,
                path: { table_id: tableId, row_id: id },
                query: { id_column: idColumn },
              }),
            );
            setDeleting(null);
            rows.setData(
              (current) =>
                current && {
                  ...current,
                  data: current.data.filter((r) => displayValue(r[idColumn]) !== id),
                  total: current.total === null ? null : current.total - 1,
                },
            );
          }}
        />
      ) : null}
    </>
  );
}
