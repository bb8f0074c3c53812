// The SQL Editor (admins): CodeMirror with SQL highlighting, Ctrl/Cmd+Enter runs; each statement's result as a grid
// with CSV export; the guardrails' confirmations as dialogs; history and saved snippets in folders at the side.
// Loaded on demand (React.lazy in routes/pages.tsx), like the editor itself.
import { executeQuery, getQueryHistory, getSnippets, type SqlSnippetRead, unwrap } from '@selfdb/sdk';
import { useMemo, useState } from 'react';
import { CodeEditor } from '../../components/code-editor/code-editor.tsx';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Checkbox } from '../../components/ui/field.tsx';
import { PageHeader } from '../../components/ui/states.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { ExamplesPanel } from './examples-panel.tsx';
import { destructiveSummary, needsConfirmation } from './guard.ts';
import { HistoryPanel } from './history-panel.tsx';
import { ResultView } from './result-view.tsx';
import { planRuns, type StatementRun } from './run-plan.ts';
import { SnippetDialog } from './snippet-dialog.tsx';
import { splitSnippetName } from './snippet-folders.ts';
import { SnippetsPanel } from './snippets-panel.tsx';
import { splitStatements } from './split-statements.ts';

interface Pending {
  runs: StatementRun[];
  index: number;
  summary: string;
}

type Side = 'history' | 'snippets' | 'examples';

const SIDE_TABS: { id: Side; label: string }[] = [
  { id: 'history', label: 'History' },
  { id: 'snippets', label: 'Snippets' },
  { id: 'examples', label: 'Examples' },
];

export function SqlEditorPage() {
  const selfdb = useSelfDB();
  const [sql, setSql] = useState('');
  const [oneTransaction, setOneTransaction] = useState(false);
  const [runs, setRuns] = useState<StatementRun[]>([]);
  const [running, setRunning] = useState(false);
  const [pending, setPending] = useState<Pending | null>(null);
  const [side, setSide] = useState<Side>('history');
  const [loaded, setLoaded] = useState<SqlSnippetRead | null>(null);
  const [saving, setSaving] = useState(false);

  const history = useAsync(
    async () => unwrap(await getQueryHistory({ client: selfdb.client, query: { limit: 100 } })).history,
    [selfdb],
  );
  const snippets = useAsync(
    async () => unwrap(await getSnippets({ client: selfdb.client })).snippets,
    [selfdb],
  );
  const folders = useMemo(
    () =>
      [...new Set((snippets.data ?? []).map((s) => splitSnippetName(s.name).folder).filter(Boolean))].sort(),
    [snippets.data],
  );

  /** Runs `list[index…]` in order; stops at the first failure or at a statement the guardrails want confirmed. */
  async function runFrom(list: StatementRun[], index: number, confirmFirst: boolean) {
    const runs = [...list];
    const show = (i: number, change: Partial<StatementRun>) => {
      runs[i] = { ...runs[i]!, ...change };
      setRuns([...runs]);
    };
    setRunning(true);
    for (let i = index; i < runs.length; i++) {
      show(i, { state: 'running' });
      try {
        const answer = await executeQuery({
          client: selfdb.client,
          body: {
            query: runs[i]!.sql,
            ...(confirmFirst && i === index ? { confirm_destructive: true } : {}),
          },
        });
        const result = unwrap(answer);
        show(i, {
          state: 'done',
          result,
          truncated: answer.response.headers.get('x-selfdb-truncated') === 'true',
        });
      } catch (err) {
        if (needsConfirmation(err)) {
          show(i, { state: 'waiting' });
          setPending({ runs: [...runs], index: i, summary: destructiveSummary(err.detail) });
        } else {
          show(i, { state: 'error', error: errorMessage(err) });
          for (let rest = i + 1; rest < runs.length; rest++) show(rest, { state: 'cancelled' });
        }
        break;
      }
    }
    setRunning(false);
    history.reload();
  }

  function run() {
    if (running || pending) return;
    const planned = planRuns(sql, oneTransaction);
    setRuns(planned);
    if (planned.length > 0) void runFrom(planned, 0, false);
  }

  function cancelPending() {
    if (!pending) return;
    setRuns(pending.runs.map((r, i) => (i >= pending.index ? { ...r, state: 'cancelled' } : r)));
    setPending(null);
  }

  const empty = useMemo(() => splitStatements(sql).length === 0, [sql]);

  return (
    <>
      <PageHeader
        title="SQL Editor"
        description="Run SQL as an admin. Ctrl/Cmd+Enter runs. Destructive statements ask first."
      />
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_18rem]">
        <div className="min-w-0 space-y-3">
          <CodeEditor
            language="sql"
            label="SQL query"
            value={sql}
            onChange={setSql}
            onRun={run}
            minHeight="10rem"
          />
          <div className="flex flex-wrap items-center gap-3">
            <Button variant="primary" disabled={running || !!pending || empty} onClick={run}>
              {running ? 'Running…' : 'Run'}
            </Button>
            <Checkbox
              label="One transaction (shows the last statement's result)"
              checked={oneTransaction}
              onChange={(e) => setOneTransaction(e.target.checked)}
            />
            <span className="flex-1" />
            {loaded ? <span className="truncate text-xs text-zinc-500">Snippet: {loaded.name}</span> : null}
            <Button disabled={empty} onClick={() => setSaving(true)}>
              Save snippet
            </Button>
          </div>
          <div aria-label="Results" role="region" className="space-y-6">
            {runs.length === 0 ? (
              <p className="text-sm text-zinc-500">
                Results appear here. Several statements run one after the other, each in its own transaction,
                and each gets its result; the first failure stops the rest.
              </p>
            ) : (
              runs.map((r, i) => <ResultView key={`${i}:${r.sql}`} run={r} />)
            )}
          </div>
        </div>
        <aside className="min-w-0 space-y-3">
          <div role="tablist" aria-label="Side panel" className="flex gap-1">
            {SIDE_TABS.map(({ id: tab, label }) => (
              <button
                key={tab}
                type="button"
                role="tab"
                aria-selected={side === tab}
                onClick={() => setSide(tab)}
                className={`rounded-md px-3 py-1.5 text-sm font-medium ${side === tab ? 'bg-zinc-200 dark:bg-zinc-800' : 'text-zinc-500 hover:bg-zinc-100 dark:hover:bg-zinc-800'}`}
              >
                {label}
              </button>
            ))}
          </div>
          <div role="tabpanel" aria-label={SIDE_TABS.find((t) => t.id === side)!.label}>
            {side === 'history' ? (
              <HistoryPanel
                history={history}
                onLoad={(query) => {
                  setSql(query);
                  setLoaded(null);
                }}
                onSave={(query) => {
                  setSql(query);
                  setLoaded(null);
                  setSaving(true);
                }}
              />
            ) : null}
            {side === 'snippets' ? (
              <SnippetsPanel
                snippets={snippets}
                onLoad={(snippet) => {
                  setSql(snippet.sql_code);
                  setLoaded(snippet);
                }}
              />
            ) : null}
            {side === 'examples' ? (
              <ExamplesPanel
                onLoad={(example) => {
                  setSql(example);
                  setLoaded(null);
                }}
              />
            ) : null}
          </div>
        </aside>
      </div>
      {pending ? (
        <ConfirmDialog
          title="Run a destructive statement?"
          message={
            <>
              <span className="block">
                {pending.runs[pending.index]!.title} deletes data or drops something, and cannot be undone:{' '}
                <strong>{pending.summary}</strong>.
              </span>
              <code className="mt-2 block max-h-40 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-100 p-2 text-xs dark:bg-zinc-800">
                {pending.runs[pending.index]!.sql}
              </code>
            </>
          }
          confirmLabel="Run it"
          onClose={cancelPending}
          onConfirm={async () => {
            const { runs: list, index } = pending;
            setPending(null);
            void runFrom(list, index, true);
          }}
        />
      ) : null}
      {saving ? (
        <SnippetDialog
          sql={sql}
          mode="save"
          snippet={loaded}
          snippets={snippets.data ?? []}
          folders={folders}
          onClose={() => setSaving(false)}
          onSaved={(snippet) => {
            setSaving(false);
            setLoaded(snippet);
            setSide('snippets');
            snippets.reload();
          }}
        />
      ) : null}
    </>
  );
}
