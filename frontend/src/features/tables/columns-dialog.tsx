import { addColumn, deleteColumn, unwrap } from '@selfdb/sdk';
import { type FormEvent, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Dialog } from '../../components/ui/dialog.tsx';
import { Checkbox, Input, Select } from '../../components/ui/field.tsx';
import { ErrorMessage } from '../../components/ui/states.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { AUTOMATIC_COLUMNS, COLUMN_TYPES, type ColumnInfo } from './columns.ts';

/** The table's columns: add one (name, type, nullable, default), delete one (after a second click). */
export function ColumnsDialog(props: {
  tableId: string;
  columns: ColumnInfo[];
  onClose(): void;
  onChanged(): void;
}) {
  const selfdb = useSelfDB();
  const [name, setName] = useState('');
  const [type, setType] = useState<string>('text');
  const [nullable, setNullable] = useState(true);
  const [defaultValue, setDefaultValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      props.onChanged();
      return true;
    } catch (err) {
      setError(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function add(event: FormEvent) {
    event.preventDefault();
    const body = {
      name: name.trim(),
      type,
      nullable,
      ...(defaultValue.trim() ? { default: defaultValue.trim() } : {}),
    };
    const done = await run(async () =>
      unwrap(await addColumn({ client: selfdb.client, path: { table_id: props.tableId }, body })),
    );
    if (done) {
      setName('');
      setDefaultValue('');
    }
  }

  return (
    <Dialog
      title="Columns"
      onClose={props.onClose}
      wide
      footer={<Button onClick={props.onClose}>Close</Button>}
    >
      <ul className="mb-4 divide-y divide-zinc-200 rounded-md border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
        {props.columns.map((column) => (
          <li
            key={column.name}
            className="flex items-center justify-between gap-2 px-3 py-2 text-sm"
            data-testid="column"
          >
            <span>
              <span className="font-medium">{column.name}</span>{' '}
              <span className="text-zinc-500">
                {column.type}
                {column.nullable ? '' : ', not null'}
              </span>
            </span>
            {AUTOMATIC_COLUMNS.has(column.name) ? null : confirming === column.name ? (
              <Button
                size="sm"
                variant="danger"
                disabled={busy}
                onClick={() =>
                  void run(async () =>
                    unwrap(
                      await deleteColumn({
                        client: selfdb.client,
                        path: { table_id: props.tableId, column_name: column.name },
                      }),
                    ),
                  ).then(() => setConfirming(null))
                }
              >
                Delete {column.name} and its data
              </Button>
            ) : (
              <Button
                size="sm"
                aria-label={`Delete column ${column.name}`}
                onClick={() => setConfirming(column.name)}
              >
                Delete
              </Button>
            )}
          </li>
        ))}
      </ul>
      <form onSubmit={add} className="flex flex-wrap items-center gap-2">
        <Input
          aria-label="New column name"
          placeholder="new_column"
          required
          maxLength={63}
          className="max-w-[12rem]"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <Select
          aria-label="New column type"
          className="max-w-[9rem]"
          value={type}
          onChange={(e) => setType(e.target.value)}
        >
          {COLUMN_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </Select>
        <Input
          aria-label="New column default"
          placeholder="default"
          className="max-w-[9rem]"
          value={defaultValue}
          onChange={(e) => setDefaultValue(e.target.value)}
        />
        <Checkbox label="null" checked={nullable} onChange={(e) => setNullable(e.target.checked)} />
        <Button type="submit" variant="primary" disabled={busy}>
          Add column
        </Button>
      </form>
      {error ? (
        <div className="mt-3">
          <ErrorMessage message={error} />
        </div>
      ) : null}
    </Dialog>
  );
}
