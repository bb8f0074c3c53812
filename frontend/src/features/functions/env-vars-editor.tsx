import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { inputClass } from '../../components/ui/field.tsx';
import { type EnvRow, envRow } from './functions.ts';

/** Key/value rows for a function's environment variables; values are hidden until "Show values". */
export function EnvVarsEditor({ rows, onChange }: { rows: EnvRow[]; onChange(rows: EnvRow[]): void }) {
  const [shown, setShown] = useState(false);
  const change = (key: number, patch: Partial<EnvRow>) =>
    onChange(rows.map((row) => (row.key === key ? { ...row, ...patch } : row)));
  return (
    <fieldset className="space-y-2">
      <legend className="mb-1 flex w-full items-center justify-between text-sm font-medium text-zinc-700 dark:text-zinc-300">
        <span>
          Environment variables{' '}
          <span className="font-normal text-zinc-500">(the function reads them as context.env)</span>
        </span>
      </legend>
      {rows.length === 0 ? <p className="text-sm text-zinc-500">None.</p> : null}
      {rows.map((row, index) => (
        <div key={row.key} className="flex items-center gap-2" data-testid="env-var-row">
          <input
            aria-label={`Variable ${index + 1} name`}
            className={`${inputClass} max-w-[14rem] font-mono`}
            placeholder="NAME"
            value={row.name}
            onChange={(e) => change(row.key, { name: e.target.value })}
          />
          <input
            aria-label={`Variable ${index + 1} value`}
            className={`${inputClass} font-mono`}
            type={shown ? 'text' : 'password'}
            autoComplete="off"
            placeholder="value"
            value={row.value}
            onChange={(e) => change(row.key, { value: e.target.value })}
          />
          <Button
            size="sm"
            variant="ghost"
            aria-label={`Remove variable ${index + 1}`}
            onClick={() => onChange(rows.filter((r) => r.key !== row.key))}
          >
            ✕
          </Button>
        </div>
      ))}
      <div className="flex gap-2">
        <Button size="sm" onClick={() => onChange([...rows, envRow()])}>
          Add variable
        </Button>
        {rows.length > 0 ? (
          <Button size="sm" variant="ghost" onClick={() => setShown((s) => !s)}>
            {shown ? 'Hide values' : 'Show values'}
          </Button>
        ) : null}
      </div>
    </fieldset>
  );
}
