import { insertRow, unwrap } from '@selfdb/sdk';
import { useState } from 'react';
import { FormDialog } from '../../components/ui/dialog.tsx';
import { Field, Input } from '../../components/ui/field.tsx';
import { useSelfDB } from '../../lib/session.tsx';
import { AUTOMATIC_COLUMNS, type ColumnInfo, parseCellInput } from './columns.ts';

/** A new row: one field per column; fields left empty are not sent, so the column's default applies. */
export function InsertRowDialog(props: {
  tableId: string;
  columns: ColumnInfo[];
  onClose(): void;
  onInserted(): void;
}) {
  const selfdb = useSelfDB();
  const [values, setValues] = useState<Record<string, string>>({});
  // id, created_at and updated_at fill themselves (a table made elsewhere without defaults still shows them all).
  const automatic = props.columns.filter((c) => AUTOMATIC_COLUMNS.has(c.name));
  const shown =
    automatic.length === 3 ? props.columns.filter((c) => !AUTOMATIC_COLUMNS.has(c.name)) : props.columns;

  async function save() {
    const row: Record<string, unknown> = {};
    for (const column of shown) {
      const text = values[column.name] ?? '';
      if (text === '') continue;
      row[column.name] = parseCellInput(column, text);
    }
    unwrap(await insertRow({ client: selfdb.client, path: { table_id: props.tableId }, body: row }));
    props.onInserted();
  }

  return (
    <FormDialog title="Insert row" submitLabel="Insert row" onClose={props.onClose} onSubmit={save}>
      {shown.map((column) => (
        <Field
          key={column.name}
          label={`${column.name} (${column.type}${column.nullable ? '' : ', required'})`}
        >
          <Input
            value={values[column.name] ?? ''}
            onChange={(e) => setValues((v) => ({ ...v, [column.name]: e.target.value }))}
            placeholder={column.hasDefault ? 'default' : column.nullable ? 'null' : ''}
          />
        </Field>
      ))}
    </FormDialog>
  );
}
