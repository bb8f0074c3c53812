import { deleteSnippet, type SqlSnippetRead, unwrap } from '@selfdb/sdk';
import { useMemo, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { AsyncStatus, Badge, EmptyState } from '../../components/ui/states.tsx';
import { useSelfDB } from '../../lib/session.tsx';
import type { AsyncState } from '../../lib/use-async.ts';
import { SnippetDialog } from './snippet-dialog.tsx';
import { groupByFolder } from './snippet-folders.ts';

/** Saved snippets (own and shared), grouped by folder: load, rename, delete. */
export function SnippetsPanel({
  snippets,
  onLoad,
}: {
  snippets: AsyncState<SqlSnippetRead[]>;
  onLoad(snippet: SqlSnippetRead): void;
}) {
  const selfdb = useSelfDB();
  const [renaming, setRenaming] = useState<SqlSnippetRead | null>(null);
  const [deleting, setDeleting] = useState<SqlSnippetRead | null>(null);
  const groups = useMemo(() => groupByFolder(snippets.data ?? []), [snippets.data]);

  return (
    <div className="space-y-3">
      <AsyncStatus state={snippets} />
      {snippets.data && snippets.data.length === 0 ? (
        <EmptyState title="No saved snippets">Save the editor's SQL to find it here.</EmptyState>
      ) : null}
      {groups.map((group) => (
        <div
          key={group.folder}
          role="group"
          aria-label={group.folder ? `Folder ${group.folder}` : 'No folder'}
        >
          {group.folder ? (
            <p className="mb-1 truncate text-xs font-semibold uppercase tracking-wide text-zinc-500">
              📁 {group.folder}
            </p>
          ) : null}
          <ul className="space-y-1">
            {group.snippets.map((snippet) => (
              <li
                key={snippet.id}
                className="rounded-md border border-zinc-200 px-2 py-1.5 dark:border-zinc-800"
              >
                <div className="flex items-center justify-between gap-1">
                  <button
                    type="button"
                    title={snippet.description ?? 'Load into the editor'}
                    className="min-w-0 truncate text-left text-sm font-medium text-emerald-700 hover:underline dark:text-emerald-400"
                    onClick={() => onLoad(snippet)}
                  >
                    {snippet.shortName}
                  </button>
                  {snippet.is_shared ? <Badge>shared</Badge> : null}
                </div>
                {snippet.description ? (
                  <p className="truncate text-xs text-zinc-500">{snippet.description}</p>
                ) : null}
                <div className="mt-1 flex gap-1">
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Rename ${snippet.name}`}
                    onClick={() => setRenaming(snippet)}
                  >
                    Rename
                  </Button>
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Delete ${snippet.name}`}
                    onClick={() => setDeleting(snippet)}
                  >
                    Delete
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        </div>
      ))}
      {renaming ? (
        <SnippetDialog
          sql=""
          mode="rename"
          snippet={renaming}
          snippets={snippets.data ?? []}
          folders={groups.map((g) => g.folder).filter(Boolean)}
          onClose={() => setRenaming(null)}
          onSaved={() => {
            setRenaming(null);
            snippets.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete snippet"
          message={`Delete the snippet ${deleting.name}? This cannot be undone.`}
          confirmLabel="Delete snippet"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            unwrap(await deleteSnippet({ client: selfdb.client, path: { snippet_id: deleting.id } }));
            setDeleting(null);
            snippets.reload();
          }}
        />
      ) : null}
    </div>
  );
}
