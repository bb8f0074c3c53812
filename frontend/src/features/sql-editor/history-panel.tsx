import { clearQueryHistory, type SqlHistoryRead, unwrap } from '@selfdb/sdk';
import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { AsyncStatus, Badge, EmptyState } from '../../components/ui/states.tsx';
import { formatDate } from '../../lib/format.ts';
import { useSelfDB } from '../../lib/session.tsx';
import type { AsyncState } from '../../lib/use-async.ts';

/** The caller's console history from the API, newest first: a click loads the query into the editor. */
export function HistoryPanel({
  history,
  onLoad,
  onSave,
}: {
  history: AsyncState<SqlHistoryRead[]>;
  onLoad(query: string): void;
  /** Loads the query and opens the save-snippet dialog. */
  onSave(query: string): void;
}) {
  const selfdb = useSelfDB();
  const [clearing, setClearing] = useState(false);
  return (
    <div className="space-y-2">
      <div className="flex items-center justify-between">
        <p className="text-xs text-zinc-500">Your last {history.data?.length ?? 0} queries</p>
        <Button size="sm" variant="ghost" disabled={!history.data?.length} onClick={() => setClearing(true)}>
          Clear
        </Button>
      </div>
      <AsyncStatus state={history} />
      {history.data && history.data.length === 0 ? (
        <EmptyState title="No queries yet">Queries you run appear here.</EmptyState>
      ) : null}
      <ul className="space-y-1">
        {history.data?.map((entry) => (
          <li key={entry.id} className="relative">
            <button
              type="button"
              title="Load into the editor"
              onClick={() => onLoad(entry.query)}
              className="block w-full rounded-md border border-zinc-200 px-2 py-1.5 text-left hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800"
            >
              <span className="line-clamp-3 whitespace-pre-wrap break-words font-mono text-xs">
                {entry.query}
              </span>
              <span className="mt-1 flex flex-wrap items-center gap-1.5 text-xs text-zinc-500">
                {entry.error ? (
                  <Badge tone="red">error</Badge>
                ) : (
                  <Badge tone="emerald">
                    {entry.row_count ?? 0} {entry.row_count === 1 ? 'row' : 'rows'}
                  </Badge>
                )}
                <span>{formatDate(entry.executed_at)}</span>
              </span>
            </button>
            <Button
              size="sm"
              variant="ghost"
              aria-label={`Save as snippet: ${entry.query.slice(0, 60)}`}
              className="absolute bottom-1 right-1"
              onClick={() => onSave(entry.query)}
            >
              Save
            </Button>
          </li>
        ))}
      </ul>
      {clearing ? (
        <ConfirmDialog
          title="Clear history"
          message="Delete your whole query history? Saved snippets stay."
          confirmLabel="Clear history"
          onClose={() => setClearing(false)}
          onConfirm={async () => {
            unwrap(await clearQueryHistory({ client: selfdb.client }));
            setClearing(false);
            history.reload();
          }}
        />
      ) : null}
    </div>
  );
}
