import {
  deleteFunction,
  deployFunction,
  type FunctionRead,
  getFunction,
  unwrap,
  updateFunction,
} from '@selfdb/sdk';
import { type ReactNode, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { CodeEditor } from '../../components/code-editor/code-editor.tsx';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Badge, ErrorMessage, LoadError, Loading, PageHeader } from '../../components/ui/states.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { formatDate } from '../../lib/format.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { ExecutionsPanel, LogsPanel } from './executions-panel.tsx';
import { describeTrigger, formatDuration } from './functions.ts';
import { DeploymentBadge } from './functions-page.tsx';
import { InvokePanel } from './invoke-panel.tsx';
import { SettingsPanel } from './settings-panel.tsx';
import { WebhooksPanel } from './webhooks-panel.tsx';

const TABS = ['Code', 'Test', 'Executions', 'Logs', 'Settings', 'Webhooks'] as const;
type Tab = (typeof TABS)[number];

function Tabs({ tab, onTab }: { tab: Tab; onTab(tab: Tab): void }) {
  return (
    <div
      role="tablist"
      aria-label="Function"
      className="mb-4 flex gap-1 border-b border-zinc-200 dark:border-zinc-800"
    >
      {TABS.map((name) => (
        <button
          key={name}
          type="button"
          role="tab"
          aria-selected={tab === name}
          onClick={() => onTab(name)}
          className={`-mb-px border-b-2 px-3 py-1.5 text-sm ${
            tab === name
              ? 'border-emerald-600 font-medium text-emerald-800 dark:text-emerald-300'
              : 'border-transparent text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100'
          }`}
        >
          {name}
        </button>
      ))}
    </div>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs uppercase tracking-wide text-zinc-500">{label}</dt>
      <dd className="mt-0.5 text-sm">{children}</dd>
    </div>
  );
}

/** The code tab: edit, save (a new version), save and deploy; a failed deploy shows the runtime's reason. */
function CodePanel({ fn, onSaved }: { fn: FunctionRead; onSaved(fn: FunctionRead): void }) {
  const selfdb = useSelfDB();
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState<'save' | 'deploy' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const code = draft ?? fn.code;
  const dirty = draft !== null && draft !== fn.code;
  // Closing or reloading the tab with unsaved code asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  async function save(deploy: boolean) {
    setBusy(deploy ? 'deploy' : 'save');
    setError(null);
    const client = selfdb.client;
    try {
      let saved = fn;
      if (dirty) {
        saved = unwrap(await updateFunction({ client, path: { function_id: fn.id }, body: { code } }));
      }
      setDraft(null);
      if (deploy) saved = unwrap(await deployFunction({ client, path: { function_id: fn.id } }));
      onSaved(saved);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="space-y-3">
      {fn.deployment_status === 'failed' && fn.deployment_error ? (
        <ErrorMessage message={`Version ${fn.version} did not deploy: ${fn.deployment_error}`} />
      ) : null}
      <CodeEditor
        language="typescript"
        label="Function code"
        value={code}
        onChange={setDraft}
        onRun={() => void save(true)}
        minHeight="24rem"
      />
      {error ? <ErrorMessage message={error} /> : null}
      <div className="flex items-center gap-2">
        <Button disabled={!dirty || busy !== null} onClick={() => void save(false)}>
          {busy === 'save' ? 'Saving…' : 'Save'}
        </Button>
        <Button variant="primary" disabled={busy !== null} onClick={() => void save(true)}>
          {busy === 'deploy' ? 'Deploying…' : dirty ? 'Save and deploy' : 'Deploy'}
        </Button>
        <span className="text-sm text-zinc-500">
          {dirty ? 'Unsaved changes' : `Version ${fn.version}`} · Ctrl+Enter saves and deploys
        </span>
      </div>
    </div>
  );
}

/** One function: code, test invocation, executions and their logs, settings and webhooks. */
export function FunctionPage() {
  const { functionId = '' } = useParams();
  const selfdb = useSelfDB();
  const navigate = useNavigate();
  const [tab, setTab] = useState<Tab>('Code');
  const [deleting, setDeleting] = useState(false);
  const fn = useAsync(
    async () => unwrap(await getFunction({ client: selfdb.client, path: { function_id: functionId } })),
    [selfdb, functionId],
  );

  const back = (
    <div className="mb-2 text-sm">
      <Link className="text-emerald-700 hover:underline dark:text-emerald-400" to="/functions">
        ← Functions
      </Link>
    </div>
  );
  if (fn.error && !fn.data) {
    return (
      <>
        {back}
        <LoadError error={fn.error} onRetry={fn.reload} />
      </>
    );
  }
  if (!fn.data) return <Loading />;
  const f = fn.data;
  const replace = (next: FunctionRead) => fn.setData(() => next);

  return (
    <>
      {back}
      <PageHeader
        title={f.name}
        description={f.description ?? undefined}
        actions={
          <Button variant="danger" onClick={() => setDeleting(true)}>
            Delete function
          </Button>
        }
      />
      {fn.error ? <LoadError error={fn.error} onRetry={fn.reload} /> : null}
      <dl className="mb-5 grid grid-cols-2 gap-4 rounded-lg border border-zinc-200 p-4 sm:grid-cols-3 lg:grid-cols-6 dark:border-zinc-800">
        <Fact label="Deployment">
          <span data-testid="deployment-status">
            <DeploymentBadge fn={f} />
          </span>
        </Fact>
        <Fact label="Active">
          {f.is_active ? <Badge tone="emerald">active</Badge> : <Badge>inactive</Badge>}
        </Fact>
        <Fact label="Version">
          {f.version}
          {f.last_deployed_at ? (
            <span className="block text-xs text-zinc-500">deployed {formatDate(f.last_deployed_at)}</span>
          ) : null}
        </Fact>
        <Fact label="Triggers">
          {f.deployed_version === null
            ? 'not deployed'
            : f.triggers.map((t) => describeTrigger(t)).join('; ')}
        </Fact>
        <Fact label="Runs">
          {f.execution_count} ({f.execution_success_count} ok, {f.execution_error_count} failed)
          {f.avg_execution_time_ms !== null ? (
            <span className="block text-xs text-zinc-500">avg {formatDuration(f.avg_execution_time_ms)}</span>
          ) : null}
        </Fact>
        <Fact label="Last run">{f.last_executed_at ? formatDate(f.last_executed_at) : 'never'}</Fact>
      </dl>
      <Tabs tab={tab} onTab={setTab} />
      {/* Kept mounted while other tabs show, so unsaved code survives a look at the executions. */}
      <div hidden={tab !== 'Code'}>
        <CodePanel key={f.id} fn={f} onSaved={replace} />
      </div>
      {tab === 'Test' ? <InvokePanel fn={f} onInvoked={fn.reload} /> : null}
      {tab === 'Executions' ? <ExecutionsPanel fn={f} onRefresh={fn.reload} /> : null}
      {tab === 'Logs' ? <LogsPanel fn={f} /> : null}
      {tab === 'Settings' ? <SettingsPanel key={f.id} fn={f} onSaved={replace} /> : null}
      {tab === 'Webhooks' ? <WebhooksPanel fn={f} /> : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete function"
          message={`Delete the function ${f.name} with its webhooks, executions and logs? This cannot be undone.`}
          confirmLabel="Delete function"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            unwrap(await deleteFunction({ client: selfdb.client, path: { function_id: f.id } }));
            await navigate('/functions');
          }}
        />
      ) : null}
    </>
  );
}
