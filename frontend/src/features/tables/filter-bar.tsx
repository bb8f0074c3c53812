import { FILTER_OPERATORS, type Filter, type FilterOperator } from '@selfdb/sdk';
import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Select, inputClass } from '../../components/ui/field.tsx';
import type { ColumnInfo } from './columns.ts';

interface Draft {
  key: number;
  column: string;
  op: FilterOperator;
  value: string;
  not: boolean;
}

let nextKey = 1;

/** Turns what was typed into the SDK's filter: `in` takes a comma-separated list, `is` null/true/false/unknown. */
export function toFilter(draft: Omit<Draft, 'key'>): Filter {
  const base = { column: draft.column, not: draft.not };
  if (draft.op === 'in') return { ...base, op: 'in', value: draft.value.split(',').map((v) => v.trim()) };
  if (draft.op === 'is') {
    const v = draft.value.trim().toLowerCase();
    return {
      ...base,
      op: 'is',
      value: v === 'true' ? true : v === 'false' ? false : v === 'unknown' ? 'unknown' : null,
    };
  }
  return { ...base, op: draft.op, value: draft.value };
}

/** Server-side filters with the data API's operators; applied together. */
export function FilterBar({ columns, onApply }: { columns: ColumnInfo[]; onApply(filters: Filter[]): void }) {
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const change = (key: number, patch: Partial<Draft>) =>
    setDrafts((d) => d.map((x) => (x.key === key ? { ...x, ...patch } : x)));
  const apply = (next: Draft[]) => onApply(next.filter((d) => d.column).map(toFilter));
  return (
    <div className="mb-3 space-y-2">
      {drafts.map((draft, index) => (
        <div key={draft.key} className="flex flex-wrap items-center gap-2" data-testid="filter">
          <Select
            aria-label={`Filter ${index + 1} column`}
            className="max-w-[12rem]"
            value={draft.column}
            onChange={(e) => change(draft.key, { column: e.target.value })}
          >
            {columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </Select>
          <label className="inline-flex items-center gap-1 text-sm">
            <input
              type="checkbox"
              checked={draft.not}
              onChange={(e) => change(draft.key, { not: e.target.checked })}
              className="accent-emerald-600"
            />
            not
          </label>
          <Select
            aria-label={`Filter ${index + 1} operator`}
            className="max-w-[7rem]"
            value={draft.op}
            onChange={(e) => change(draft.key, { op: e.target.value as FilterOperator })}
          >
            {FILTER_OPERATORS.map((op) => (
              <option key={op} value={op}>
                {op}
              </option>
            ))}
          </Select>
          <input
            aria-label={`Filter ${index + 1} value`}
            className={`${inputClass} max-w-xs`}
            placeholder={
              draft.op === 'in'
                ? 'a, b, c'
                : draft.op === 'is'
                  ? 'null | true | false'
                  : draft.op.endsWith('like')
                    ? 'pattern with *'
                    : 'value'
            }
            value={draft.value}
            onChange={(e) => change(draft.key, { value: e.target.value })}
            onKeyDown={(e) => {
              if (e.key === 'Enter') apply(drafts);
            }}
          />
          <Button
            size="sm"
            variant="ghost"
            aria-label={`Remove filter ${index + 1}`}
            onClick={() => {
              const next = drafts.filter((d) => d.key !== draft.key);
              setDrafts(next);
              apply(next);
            }}
          >
            ✕
          </Button>
        </div>
      ))}
      <div className="flex gap-2">
        <Button
          size="sm"
          disabled={columns.length === 0}
          onClick={() =>
            setDrafts((d) => [
              ...d,
              { key: nextKey++, column: columns[0]?.name ?? '', op: 'eq', value: '', not: false },
            ])
          }
        >
          Add filter
        </Button>
        {drafts.length > 0 ? (
          <Button size="sm" variant="primary" onClick={() => apply(drafts)}>
            Apply filters
          </Button>
        ) : null}
      </div>
    </div>
  );
}
