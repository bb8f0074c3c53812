// The API reference of this install, inside the dashboard: this backend's /openapi.json, fetched through the SDK's
// client (same origin, /api prefix) and listed by tag, each operation with its parameters, body, responses and a
// "Try it" signed in as the current user; plus the base URL and API key to copy, and a link to the full Swagger UI.
//
// Why not 0.0.5's way (fetch the Swagger HTML, inject a script, render it inline) or an iframe: the dashboard's
// Content-Security-Policy allows only its own scripts (`script-src 'self'`, no inline code), and the backend sends
// /docs with `frame-ancestors 'none'` and `X-Frame-Options: DENY`. Rendering the JSON document with React needs
// neither, and shows every value as text.
import { unwrap } from '@selfdb/sdk';
import { useMemo, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Input } from '../../components/ui/field.tsx';
import { AsyncStatus, Badge, EmptyState, PageHeader } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { useDebounced } from '../../lib/use-debounced.ts';
import {
  filterOperations,
  type OpenApiDocument,
  type OperationDoc,
  operationsByTag,
  schemaFields,
} from './openapi.ts';
import { TryIt } from './try-it.tsx';

const METHOD_TONES: Record<string, 'emerald' | 'amber' | 'red' | 'zinc'> = {
  GET: 'emerald',
  POST: 'amber',
  PUT: 'amber',
  PATCH: 'amber',
  DELETE: 'red',
};

function CopyValue({ label, value, secret }: { label: string; value: string; secret?: boolean }) {
  const [shown, setShown] = useState(!secret);
  const [copied, setCopied] = useState(false);
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <span className="w-20 shrink-0 text-zinc-500">{label}</span>
      <code
        aria-label={label}
        className="min-w-0 break-all rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800"
      >
        {shown ? value : '•'.repeat(Math.min(value.length, 32))}
      </code>
      {secret ? (
        <Button size="sm" variant="ghost" onClick={() => setShown((s) => !s)}>
          {shown ? 'Hide' : 'Show'}
        </Button>
      ) : null}
      <Button
        size="sm"
        aria-label={`Copy ${label}`}
        onClick={() => {
          void navigator.clipboard.writeText(value).then(
            () => setCopied(true),
            () => setShown(true),
          );
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </Button>
    </div>
  );
}

function Fields({ document, type }: { document: OpenApiDocument; type: string }) {
  const fields = schemaFields(document, type);
  if (!fields || fields.length === 0) return null;
  return (
    <ul className="ml-4 list-disc text-xs text-zinc-600 dark:text-zinc-400">
      {fields.map((f) => (
        <li key={f.name}>
          <code className="font-mono">{f.name}</code> <span className="text-zinc-500">{f.type}</span>
          {f.required ? <span className="text-red-600"> required</span> : null}
          {f.description ? <span> — {f.description}</span> : null}
        </li>
      ))}
    </ul>
  );
}

function Operation({ operation, document }: { operation: OperationDoc; document: OpenApiDocument }) {
  const [open, setOpen] = useState(false);
  return (
    <li className="rounded-md border border-zinc-200 dark:border-zinc-800">
      <button
        type="button"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        className="flex w-full items-center gap-2 px-3 py-2 text-left hover:bg-zinc-50 dark:hover:bg-zinc-800/50"
      >
        <Badge tone={METHOD_TONES[operation.method] ?? 'zinc'}>{operation.method}</Badge>
        <code className="font-mono text-sm">{operation.path}</code>
        <span className="truncate text-sm text-zinc-500">{operation.summary}</span>
      </button>
      {open ? (
        <div className="space-y-3 border-t border-zinc-200 px-3 py-3 text-sm dark:border-zinc-800">
          {operation.description ? (
            <p className="whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">{operation.description}</p>
          ) : null}
          <p className="text-xs text-zinc-500">
            {operation.operationId ? (
              <>
                SDK: <code className="font-mono">{operation.operationId}()</code> ·{' '}
              </>
            ) : null}
            {operation.apiKey ? 'X-API-Key header' : 'no API key'}
            {operation.bearer ? ' · bearer token' : ' · no sign-in'}
          </p>
          {operation.parameters.length > 0 ? (
            <DataTable label={`Parameters of ${operation.key}`}>
              <thead>
                <tr>
                  <Th>Parameter</Th>
                  <Th>In</Th>
                  <Th>Type</Th>
                  <Th>Description</Th>
                </tr>
              </thead>
              <tbody>
                {operation.parameters.map((p) => (
                  <tr key={`${p.in}:${p.name}`}>
                    <Td className="font-mono text-xs">
                      {p.name}
                      {p.required ? <span className="text-red-600">*</span> : null}
                    </Td>
                    <Td className="text-xs">{p.in}</Td>
                    <Td className="font-mono text-xs">{p.type}</Td>
                    <Td className="text-xs text-zinc-500">{p.description}</Td>
                  </tr>
                ))}
              </tbody>
            </DataTable>
          ) : null}
          {operation.body ? (
            <div>
              <p className="text-xs font-semibold text-zinc-500">
                Body ({operation.body.contentType}
                {operation.body.required ? ', required' : ''}):{' '}
                <code className="font-mono">{operation.body.type}</code>
              </p>
              <Fields document={document} type={operation.body.type} />
            </div>
          ) : null}
          <div>
            <p className="text-xs font-semibold text-zinc-500">Responses</p>
            <ul className="text-xs">
              {operation.responses.map((r) => (
                <li key={r.status}>
                  <code className="font-mono">{r.status}</code> {r.description}
                  {r.type ? <code className="ml-1 font-mono text-zinc-500">{r.type}</code> : null}
                </li>
              ))}
            </ul>
          </div>
          <TryIt operation={operation} document={document} />
        </div>
      ) : null}
    </li>
  );
}

export function ApiDocsPage() {
  const { selfdb, config } = useSession();
  const [search, setSearch] = useState('');
  const term = useDebounced(search, 200);
  const docs = useAsync(
    async () => unwrap(await selfdb.client.get<OpenApiDocument, unknown, false>({ url: '/openapi.json' })),
    [selfdb],
  );
  const tags = useMemo(() => (docs.data ? operationsByTag(docs.data) : []), [docs.data]);
  const shown = useMemo(() => filterOperations(tags, term), [tags, term]);
  const count = tags.reduce((n, t) => n + t.operations.length, 0);

  return (
    <>
      <PageHeader
        title="API Docs"
        description={
          docs.data
            ? `${docs.data.info?.title ?? 'SelfDB'} ${docs.data.info?.version ?? ''} · ${count} operations, read from this install's OpenAPI document`
            : undefined
        }
        actions={
          <>
            <a
              className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
              // The trailing slash matters: Swagger UI then loads its files relative to the page (/api/docs/static),
              // which works behind the /api prefix; without it, it asks for /docs/static at the root.
              href={`${config.apiUrl}/docs/`}
              target="_blank"
              rel="noopener noreferrer"
            >
              Full Swagger UI
            </a>
            <a
              className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
              href={`${config.apiUrl}/openapi.json`}
              target="_blank"
              rel="noopener noreferrer"
            >
              openapi.json
            </a>
          </>
        }
      />
      <div className="mb-4 space-y-2 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
        <CopyValue label="Base URL" value={config.apiUrl} />
        <CopyValue label="API key" value={config.apiKey} secret />
        <p className="text-xs text-zinc-500">
          Every request sends the API key as the <code>X-API-Key</code> header; most also need a user's token
          (<code>Authorization: Bearer …</code> from <code>POST /users/token</code>). In Swagger UI, fill in{' '}
          <code>X-API-Key</code> on each operation and use Authorize for the token.
        </p>
      </div>
      <Input
        type="search"
        placeholder="Search operations"
        aria-label="Search operations"
        className="mb-4 max-w-xs"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <AsyncStatus state={docs} />
      {docs.data && shown.length === 0 ? (
        <EmptyState
          title={term.trim() ? 'No operation matches this search' : 'The document lists no operations'}
        />
      ) : null}
      <div className="space-y-6">
        {shown.map((group) => (
          <section key={group.tag} aria-label={`Operations tagged ${group.tag}`}>
            <h2 className="mb-2 text-sm font-semibold uppercase tracking-wide text-zinc-500">{group.tag}</h2>
            <ul className="space-y-1">
              {group.operations.map((operation) => (
                <Operation key={operation.key} operation={operation} document={docs.data!} />
              ))}
            </ul>
          </section>
        ))}
      </div>
    </>
  );
}
