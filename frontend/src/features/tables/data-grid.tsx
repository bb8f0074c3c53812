import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { inputClass } from '../../components/ui/field.tsx';
import { Td, Th } from '../../components/ui/table.tsx';
import { displayValue } from '../../lib/format.ts';
import type { ColumnInfo } from './columns.ts';

export type Row = Record<string, unknown>;

export interface SortState {
  column: string;
  ascending: boolean;
}

interface GridProps {
  columns: ColumnInfo[];
  rows: Row[];
  /** The primary key column rows are edited and deleted by (null: read-only). */
  idColumn: string | null;
  sort: SortState | null;
  onSort(sort: SortState | null): void;
  /** Saves one cell; the grid shows the error and keeps the cell open when it rejects. */
  onSaveCell(row: Row, column: ColumnInfo, text: string): Promise<void>;
  onDeleteRow(row: Row): void;
  /** Row ids that just changed live (highlighted briefly). */
  flashed: ReadonlySet<string>;
}

function EditableCell(props: {
  value: unknown;
  editable: boolean;
  label: string;
  onSave(text: string): Promise<void>;
}) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = displayValue(props.value);

  if (!editing) {
    return (
      <div
        className={`max-w-xs truncate ${props.editable ? 'cursor-text' : ''} ${props.value === null ? 'text-zinc-400' : ''}`}
        title={props.editable ? 'Double-click to edit' : shown}
        aria-label={props.label}
        onDoubleClick={() => {
          if (!props.editable) return;
          setText(shown);
          setError(null);
          setEditing(true);
        }}
      >
        {props.value === null ? 'NULL' : shown}
      </div>
    );
  }
  async function save() {
    setBusy(true);
    try {
      await props.onSave(text);
      setEditing(false);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="min-w-[10rem] space-y-1">
      <input
        autoFocus
        aria-label={`Edit ${props.label}`}
        className={inputClass}
        value={text}
        disabled={busy}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') void save();
          if (e.key === 'Escape') setEditing(false);
        }}
      />
      {error ? (
        <p role="alert" className="text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      ) : (
        <p className="text-xs text-zinc-500">Enter saves, Escape cancels</p>
      )}
    </div>
  );
}

/** The rows of one page: sortable headers, double-click to edit a cell, delete per row. Values render as text. */
export function DataGrid(props: GridProps) {
  const { columns, rows, idColumn, sort } = props;
  function toggleSort(column: string) {
    if (sort?.column !== column) props.onSort({ column, ascending: true });
    else if (sort.ascending) props.onSort({ column, ascending: false });
    else props.onSort(null);
  }
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table aria-label="Rows" className="w-full text-left text-sm">
        <thead>
          <tr>
            {columns.map((column) => (
              <Th
                key={column.name}
                aria-sort={
                  sort?.column === column.name ? (sort.ascending ? 'ascending' : 'descending') : 'none'
                }
              >
                <button
                  type="button"
                  className="inline-flex items-center gap-1 normal-case"
                  onClick={() => toggleSort(column.name)}
                >
                  {column.name}
                  <span className="font-normal text-zinc-400">{column.type}</span>
                  {sort?.column === column.name ? <span>{sort.ascending ? '▲' : '▼'}</span> : null}
                </button>
              </Th>
            ))}
            {idColumn ? <Th className="text-right">Actions</Th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => {
            const id = idColumn ? displayValue(row[idColumn]) : String(index);
            return (
              <tr
                key={id}
                data-testid="data-row"
                data-row-id={id}
                className={
                  props.flashed.has(id) ? 'bg-emerald-50 transition-colors dark:bg-emerald-950/40' : ''
                }
              >
                {columns.map((column) => (
                  <Td key={column.name}>
                    <EditableCell
                      value={row[column.name] ?? null}
                      editable={idColumn !== null && column.name !== idColumn}
                      label={`${column.name} of row ${id}`}
                      onSave={(text) => props.onSaveCell(row, column, text)}
                    />
                  </Td>
                ))}
                {idColumn ? (
                  <Td className="text-right">
                    <Button
                      size="sm"
                      variant="danger"
                      aria-label={`Delete row ${id}`}
                      onClick={() => props.onDeleteRow(row)}
                    >
                      Delete
                    </Button>
                  </Td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
