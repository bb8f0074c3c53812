import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Field, Input, inputClass } from '../../components/ui/field.tsx';
import { ErrorMessage } from '../../components/ui/states.tsx';
import { useSelfDB } from '../../lib/session.tsx';
import { exampleBody, type OpenApiDocument, type OperationDoc } from './openapi.ts';

const SHOWN_CHARS = 20_000;

interface Answer {
  status: number;
  body: string;
}

function pretty(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

/**
 * Sends one request of an operation through the SDK's client, as the signed-in user (API key and bearer token as
 * every dashboard call): path and query parameters as typed, a JSON body. The answer is shown as text. DELETE asks
 * first.
 */
export function TryIt({ operation, document }: { operation: OperationDoc; document: OpenApiDocument }) {
  const selfdb = useSelfDB();
  const inputs = operation.parameters.filter((p) => p.in === 'path' || p.in === 'query');
  const [values, setValues] = useState<Record<string, string>>({});
  const jsonBody = operation.body?.contentType === 'application/json';
  const [body, setBody] = useState(() =>
    jsonBody && operation.body ? exampleBody(document, operation.body.type) : '',
  );
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  async function send() {
    setProblem(null);
    setAnswer(null);
    const path: Record<string, string> = {};
    const query: Record<string, string> = {};
    for (const p of inputs) {
      const value = values[`${p.in}:${p.name}`] ?? '';
      if (p.in === 'path') {
        if (!value) return setProblem(`Fill in the path parameter ${p.name}.`);
        path[p.name] = value;
      } else if (value !== '') query[p.name] = value;
    }
    let parsed: unknown;
    if (jsonBody && body.trim() !== '') {
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        return setProblem(`The body is not JSON: ${(err as Error).message}`);
      }
    }
    setBusy(true);
    try {
      const result = await selfdb.client.request({
        method: operation.method as 'GET',
        url: operation.path,
        path,
        query,
        ...(parsed === undefined ? {} : { body: parsed, headers: { 'Content-Type': 'application/json' } }),
        ...(operation.bearer ? { security: [{ scheme: 'bearer', type: 'http' }] } : {}),
        parseAs: 'text',
      });
      const response = result.response as Response | undefined;
      if (!response) setProblem('The server did not answer: is SelfDB running?');
      else
        setAnswer({
          status: response.status,
          body: pretty(result.error === undefined ? result.data : result.error),
        });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-2 rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
      <p className="text-xs font-semibold uppercase tracking-wide text-zinc-500">Try it (as you)</p>
      {inputs.map((p) => (
        <Field key={`${p.in}:${p.name}`} label={`${p.name} (${p.in}${p.required ? ', required' : ''})`}>
          <Input
            value={values[`${p.in}:${p.name}`] ?? ''}
            placeholder={p.type}
            onChange={(e) => setValues((v) => ({ ...v, [`${p.in}:${p.name}`]: e.target.value }))}
          />
        </Field>
      ))}
      {jsonBody ? (
        <Field label={`Body (${operation.body?.type ?? 'JSON'})`}>
          <textarea
            className={`${inputClass} min-h-24 font-mono text-xs`}
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
        </Field>
      ) : operation.body ? (
        <p className="text-xs text-zinc-500">
          This operation takes a {operation.body.contentType} body: use the full Swagger UI or the SDK.
        </p>
      ) : null}
      <Button
        size="sm"
        variant={operation.method === 'DELETE' ? 'danger' : 'primary'}
        disabled={busy || (operation.body !== null && !jsonBody && operation.body.required)}
        onClick={() => (operation.method === 'DELETE' ? setConfirming(true) : void send())}
      >
        {busy ? 'Sending…' : `Send ${operation.method}`}
      </Button>
      {problem ? <ErrorMessage message={problem} /> : null}
      {answer ? (
        <div aria-label="Response" role="region" className="space-y-1">
          <p className="text-sm">
            Status <strong>{answer.status}</strong>
          </p>
          <pre className="max-h-80 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-800">
            {answer.body.length > SHOWN_CHARS
              ? `${answer.body.slice(0, SHOWN_CHARS)}\n… (${answer.body.length - SHOWN_CHARS} more characters)`
              : answer.body}
          </pre>
        </div>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title="Send a DELETE?"
          message={`This really deletes on this SelfDB: ${operation.method} ${operation.path}.`}
          confirmLabel="Send DELETE"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            setConfirming(false);
            await send();
          }}
        />
      ) : null}
    </div>
  );
}
