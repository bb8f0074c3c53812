import {
  type FunctionRead,
  invokeFunctionDelete,
  invokeFunctionGet,
  invokeFunctionPatch,
  invokeFunctionPost,
  invokeFunctionPut,
} from '@selfdb/sdk';
import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Field, Select, inputClass } from '../../components/ui/field.tsx';
import { Badge, EmptyState, ErrorMessage } from '../../components/ui/states.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { useSelfDB, useSession } from '../../lib/session.tsx';
import {
  formatBody,
  formatDuration,
  hasHttpTrigger,
  httpMethods,
  INVOKE_METHODS,
  type InvokeMethod,
  invokeBody,
  invokeUrl,
} from './functions.ts';

const INVOKE = {
  GET: invokeFunctionGet,
  POST: invokeFunctionPost,
  PUT: invokeFunctionPut,
  PATCH: invokeFunctionPatch,
  DELETE: invokeFunctionDelete,
} as const;

interface InvokeOutcome {
  status: number;
  body: string;
  ms: number;
}

/** Calls the function through its public HTTP trigger (as the signed-in admin) and shows the status and body. */
export function InvokePanel({ fn, onInvoked }: { fn: FunctionRead; onInvoked(): void }) {
  const selfdb = useSelfDB();
  const { config } = useSession();
  const deployedMethods = httpMethods(fn.triggers);
  const methods = deployedMethods.length ? deployedMethods : [...INVOKE_METHODS];
  const [method, setMethod] = useState<InvokeMethod>(methods.includes('POST') ? 'POST' : methods[0]!);
  const [body, setBody] = useState('{\n  "name": "SelfDB"\n}');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<InvokeOutcome | null>(null);

  const reachable = fn.is_active && fn.deployed_version !== null && hasHttpTrigger(fn.triggers);

  async function invoke() {
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const payload = invokeBody(method, body);
      const started = performance.now();
      const result = await INVOKE[method]({
        client: selfdb.client,
        path: { name: fn.name },
        // The body goes as typed (the operation takes any body; the generated type says none).
        body: payload as never,
        bodySerializer: null,
        headers: payload === undefined ? {} : { 'Content-Type': 'application/json' },
        parseAs: 'text',
      });
      const response = result.response as Response | undefined;
      if (!response) throw new Error(errorMessage(result.error) || 'The server did not answer.');
      setOutcome({
        status: response.status,
        body: formatBody(response.ok ? result.data : result.error),
        ms: performance.now() - started,
      });
      onInvoked();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (!reachable) {
    return (
      <EmptyState title="This function does not answer HTTP calls yet">
        {!fn.is_active
          ? 'It is inactive: switch it on in Settings.'
          : fn.deployed_version === null
            ? 'Deploy it first (Code tab).'
            : 'Its deployed version declares no http trigger.'}
      </EmptyState>
    );
  }

  return (
    <div className="space-y-3">
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Calls <code className="break-all font-mono">{invokeUrl(config.apiUrl, fn.name)}</code> with the API
        key and your session, as any client would.
      </p>
      <div className="flex items-end gap-3">
        <Field label="Method">
          <Select value={method} onChange={(e) => setMethod(e.target.value as InvokeMethod)}>
            {methods.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </Select>
        </Field>
        <Button variant="primary" disabled={busy} onClick={() => void invoke()}>
          {busy ? 'Invoking…' : 'Invoke'}
        </Button>
      </div>
      {method !== 'GET' && method !== 'DELETE' ? (
        <Field label="Request body (JSON)">
          <textarea
            className={`${inputClass} min-h-[6rem] font-mono`}
            spellCheck={false}
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
        </Field>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
      {outcome ? (
        <section
          aria-label="Response"
          className="space-y-2 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800"
        >
          <div className="flex items-center gap-2 text-sm">
            <span className="font-medium">Status</span>
            <Badge tone={outcome.status < 400 ? 'emerald' : 'red'}>
              <span data-testid="invoke-status">{outcome.status}</span>
            </Badge>
            <span className="text-zinc-500">{formatDuration(outcome.ms)}</span>
          </div>
          <pre
            data-testid="invoke-body"
            className="max-h-80 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-900"
          >
            {outcome.body || '(empty body)'}
          </pre>
        </section>
      ) : null}
    </div>
  );
}
