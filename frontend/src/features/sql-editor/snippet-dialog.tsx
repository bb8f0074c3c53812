import { createSnippet, deleteSnippet, type SqlSnippetRead, unwrap } from '@selfdb/sdk';
import { useId, useState } from 'react';
import { FormDialog } from '../../components/ui/dialog.tsx';
import { Checkbox, Field, Input } from '../../components/ui/field.tsx';
import { useSession } from '../../lib/session.tsx';
import { MAX_SNIPPET_NAME, snippetName, splitSnippetName } from './snippet-folders.ts';

/**
 * Saves the editor's SQL as a snippet (filled in from `snippet`, the one loaded, when there is one), or renames
 * `snippet` (`mode="rename"`). The API has no update, so replacing a snippet of
 * the same name and renaming both create the new snippet first and then delete the old one: a failure never loses it.
 */
export function SnippetDialog({
  sql,
  snippet: base,
  mode,
  snippets,
  folders,
  onClose,
  onSaved,
}: {
  /** The SQL to save (ignored when renaming: the snippet keeps its own). */
  sql: string;
  snippet?: SqlSnippetRead | null;
  mode: 'save' | 'rename';
  /** Every snippet the user sees: one of their own with the same name is replaced. */
  snippets: SqlSnippetRead[];
  folders: string[];
  onClose(): void;
  onSaved(snippet: SqlSnippetRead): void;
}) {
  const { selfdb, user } = useSession();
  const listId = useId();
  const renaming = mode === 'rename' ? base : undefined;
  const start = base ? splitSnippetName(base.name) : { folder: '', name: '' };
  const [folder, setFolder] = useState(start.folder);
  const [name, setName] = useState(start.name);
  const [description, setDescription] = useState(base?.description ?? '');
  const [shared, setShared] = useState(base?.is_shared ?? false);

  async function save() {
    const full = snippetName(folder, name);
    if ('error' in full) throw new Error(full.error);
    const replaced = snippets.filter(
      (snippet) =>
        (snippet.name === full.name && snippet.created_by === user?.id) || snippet.id === renaming?.id,
    );
    const created = unwrap(
      await createSnippet({
        client: selfdb.client,
        body: {
          name: full.name,
          sql_code: renaming ? renaming.sql_code : sql,
          description: description.trim() || null,
          is_shared: shared,
        },
      }),
    );
    for (const old of replaced)
      unwrap(await deleteSnippet({ client: selfdb.client, path: { snippet_id: old.id } }));
    onSaved(created);
  }

  return (
    <FormDialog
      title={renaming ? 'Rename snippet' : 'Save snippet'}
      submitLabel={renaming ? 'Rename' : 'Save'}
      onClose={onClose}
      onSubmit={save}
    >
      <Field
        label="Folder"
        hint='Optional; "reports/monthly" nests folders. Stored as the start of the name.'
      >
        <Input
          list={listId}
          value={folder}
          maxLength={MAX_SNIPPET_NAME}
          onChange={(e) => setFolder(e.target.value)}
        />
      </Field>
      <datalist id={listId}>
        {folders.map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      <Field label="Name" hint="Your snippet of the same name in the same folder is replaced.">
        <Input required value={name} maxLength={MAX_SNIPPET_NAME} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label="Description">
        <Input value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <Checkbox
        label="Shared with other admins"
        checked={shared}
        onChange={(e) => setShared(e.target.checked)}
      />
    </FormDialog>
  );
}
