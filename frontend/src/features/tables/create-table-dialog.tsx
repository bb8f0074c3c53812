import { createTable, type TableRead, unwrap, updateTable } from '@selfdb/sdk';
import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { FormDialog } from '../../components/ui/dialog.tsx';
import { Checkbox, Field, Input, Select, inputClass } from '../../components/ui/field.tsx';
import { useSelfDB } from '../../lib/session.tsx';
import { COLUMN_TYPES } from './columns.ts';

interface ColumnDraft {
  key: number;
  name: string;
  type: string;
  nullable: boolean;
  default: string;
}

let nextKey = 1;
const draft = (): ColumnDraft => ({ key: nextKey++, name: '', type: 'text', nullable: true, default: '' });

/** Name, description, access, live updates and columns; id, created_at and updated_at are added by the API. */
export function CreateTableDialog({
  onClose,
  onCreated,
}: {
  onClose(): void;
  onCreated(table: TableRead): void;
}) {
  const selfdb = useSelfDB();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [isPublic, setIsPublic] = useState(false);
  const [realtime, setRealtime] = useState(true);
  const [columns, setColumns] = useState<ColumnDraft[]>([draft()]);

  const change = (key: number, patch: Partial<ColumnDraft>) =>
    setColumns((current) => current.map((c) => (c.key === key ? { ...c, ...patch } : c)));

  async function save() {
    const tableSchema: Record<string, { type: string; nullable: boolean; default?: string }> = {};
    for (const column of columns) {
      if (!column.name.trim()) continue;
      tableSchema[column.name.trim()] = {
        type: column.type,
        nullable: column.nullable,
        ...(column.default.trim() ? { default: column.default.trim() } : {}),
      };
    }
    const client = selfdb.client;
    let table = unwrap(
      await createTable({
        client,
        body: { name, table_schema: tableSchema, public: isPublic, description: description || null },
      }),
    );
    if (realtime) {
      table = unwrap(
        await updateTable({ client, path: { table_id: table.id }, body: { realtime_enabled: true } }),
      );
    }
    onCreated(table);
  }

  return (
    <FormDialog title="Create table" submitLabel="Create table" onClose={onClose} onSubmit={save} wide>
      <Field label="Name" hint="Lowercase letters, digits and _; starts with a letter.">
        <Input
          required
          pattern="[a-z][a-z0-9_]*"
          maxLength={63}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
      </Field>
      <Field label="Description">
        <Input maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <div className="flex gap-5">
        <Checkbox
          label="Public (anyone with the API key can read)"
          checked={isPublic}
          onChange={(e) => setIsPublic(e.target.checked)}
        />
        <Checkbox
          label="Live updates (realtime)"
          checked={realtime}
          onChange={(e) => setRealtime(e.target.checked)}
        />
      </div>
      <fieldset className="space-y-2">
        <legend className="mb-1 text-sm font-medium text-zinc-700 dark:text-zinc-300">
          Columns{' '}
          <span className="font-normal text-zinc-500">(id, created_at and updated_at are added for you)</span>
        </legend>
        {columns.map((column, index) => (
          <div key={column.key} className="flex items-center gap-2" data-testid="column-draft">
            <input
              aria-label={`Column ${index + 1} name`}
              className={inputClass}
              placeholder="column_name"
              value={column.name}
              onChange={(e) => change(column.key, { name: e.target.value })}
            />
            <Select
              aria-label={`Column ${index + 1} type`}
              className="max-w-[9rem]"
              value={column.type}
              onChange={(e) => change(column.key, { type: e.target.value })}
            >
              {COLUMN_TYPES.map((type) => (
                <option key={type} value={type}>
                  {type}
                </option>
              ))}
            </Select>
            <input
              aria-label={`Column ${index + 1} default`}
              className={`${inputClass} max-w-[9rem]`}
              placeholder="default"
              value={column.default}
              onChange={(e) => change(column.key, { default: e.target.value })}
            />
            <Checkbox
              label="null"
              checked={column.nullable}
              onChange={(e) => change(column.key, { nullable: e.target.checked })}
            />
            <Button
              size="sm"
              variant="ghost"
              aria-label={`Remove column ${index + 1}`}
              onClick={() => setColumns((c) => c.filter((x) => x.key !== column.key))}
            >
              ✕
            </Button>
          </div>
        ))}
        <Button size="sm" onClick={() => setColumns((c) => [...c, draft()])}>
          Add column
        </Button>
      </fieldset>
    </FormDialog>
  );
}
