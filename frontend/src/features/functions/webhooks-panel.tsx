import {
  deleteWebhook,
  type FunctionRead,
  listWebhookDeliveries,
  listWebhooks,
  regenerateWebhookToken,
  retryWebhookDelivery,
  unwrap,
  type WebhookDeliveryRead,
  type WebhookRead,
} from '@selfdb/sdk';
import { Fragment, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Pager } from '../../components/ui/pager.tsx';
import { AsyncStatus, Badge, EmptyState, ErrorMessage } from '../../components/ui/states.tsx';
import { DataTable, Td, Th } from '../../components/ui/table.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { formatDate } from '../../lib/format.ts';
import { useSelfDB, useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { CopyButton } from './copy-button.tsx';
import { canRetryDelivery, formatBody, formatDuration, statusTone, webhookUrl } from './functions.ts';
import { useRefreshWhile } from './use-refresh-while.ts';
import { SecretOnceDialog, WebhookDialog } from './webhook-dialogs.tsx';

const DELIVERY_PAGE_SIZE = 20;
/** The API lists every webhook (no filter by function): read at most this many pages of 100. */
const MAX_WEBHOOK_PAGES = 20;

function SignatureBadge({ valid }: { valid: boolean | null }) {
  if (valid === true) return <Badge tone="emerald">signed</Badge>;
  if (valid === false) return <Badge tone="red">bad signature</Badge>;
  return <Badge>unsigned</Badge>;
}

/** A webhook's deliveries, newest first, with their outcome and a retry for finished ones. */
function Deliveries({ webhook, onChanged }: { webhook: WebhookRead; onChanged(): void }) {
  const selfdb = useSelfDB();
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const [retrying, setRetrying] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const deliveries = useAsync(
    async () =>
      unwrap(
        await listWebhookDeliveries({
          client: selfdb.client,
          path: { webhook_id: webhook.id },
          query: { limit: DELIVERY_PAGE_SIZE, offset: (page - 1) * DELIVERY_PAGE_SIZE },
        }),
      ),
    [selfdb, webhook.id, page],
  );

  async function retry(delivery: WebhookDeliveryRead) {
    setRetrying(delivery.id);
    setError(null);
    try {
      unwrap(await retryWebhookDelivery({ client: selfdb.client, path: { delivery_id: delivery.id } }));
      deliveries.reload();
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setRetrying(null);
    }
  }

  const rows = deliveries.data?.deliveries ?? [];
  // Queued, running or waiting for a retry: follow them until they finish.
  const inFlight = rows.some((d) => ['queued', 'executing', 'retry_pending'].includes(d.status));
  useRefreshWhile(inFlight, () => {
    deliveries.reload();
    onChanged();
  });
  return (
    <section aria-label={`Deliveries of ${webhook.name}`} className="space-y-2">
      <div className="flex items-center justify-between">
        <h3 className="text-sm font-semibold">Deliveries</h3>
        <Button
          size="sm"
          onClick={() => {
            deliveries.reload();
            onChanged(); // the webhook's counters and last status too
          }}
        >
          Refresh deliveries
        </Button>
      </div>
      {error ? <ErrorMessage message={error} /> : null}
      <AsyncStatus state={deliveries} />
      {deliveries.data && rows.length === 0 ? (
        <EmptyState title="No deliveries yet">
          They appear here when something POSTs to the webhook's URL.
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <>
          <DataTable label="Deliveries">
            <thead>
              <tr>
                <Th>Received</Th>
                <Th>Status</Th>
                <Th>Signature</Th>
                <Th>Attempt</Th>
                <Th>Duration</Th>
                <Th>From</Th>
                <Th className="text-right">Actions</Th>
              </tr>
            </thead>
            <tbody>
              {rows.map((delivery) => (
                <Fragment key={delivery.id}>
                  <tr data-testid="delivery-row">
                    <Td className="whitespace-nowrap">
                      {formatDate(delivery.received_at ?? delivery.created_at)}
                    </Td>
                    <Td>
                      <Badge tone={statusTone(delivery.status)}>{delivery.status}</Badge>
                    </Td>
                    <Td>
                      <SignatureBadge valid={delivery.signature_valid} />
                    </Td>
                    <Td>{delivery.delivery_attempt}</Td>
                    <Td className="whitespace-nowrap">{formatDuration(delivery.execution_time_ms)}</Td>
                    <Td className="font-mono text-xs">{delivery.source_ip}</Td>
                    <Td className="whitespace-nowrap text-right">
                      <div className="flex justify-end gap-1">
                        <Button
                          size="sm"
                          aria-expanded={open === delivery.id}
                          onClick={() => setOpen(open === delivery.id ? null : delivery.id)}
                        >
                          {open === delivery.id ? 'Hide' : 'Details'}
                        </Button>
                        <Button
                          size="sm"
                          className="disabled:opacity-50"
                          disabled={!canRetryDelivery(delivery) || retrying === delivery.id}
                          title={
                            canRetryDelivery(delivery)
                              ? 'Run the function again with this body'
                              : 'Still in flight, or its signature was invalid'
                          }
                          onClick={() => void retry(delivery)}
                        >
                          {retrying === delivery.id ? 'Retrying…' : 'Retry'}
                        </Button>
                      </div>
                    </Td>
                  </tr>
                  {open === delivery.id ? (
                    <tr>
                      <Td colSpan={7} className="space-y-2 bg-zinc-50/60 dark:bg-zinc-900/60">
                        {delivery.error_message ? (
                          <p className="whitespace-pre-wrap break-words text-sm text-red-700 dark:text-red-300">
                            {delivery.error_message}
                          </p>
                        ) : null}
                        <div className="grid gap-3 md:grid-cols-2">
                          <div>
                            <div className="text-xs font-semibold uppercase text-zinc-500">Body</div>
                            <pre className="max-h-48 overflow-auto whitespace-pre-wrap break-all font-mono text-xs">
                              {formatBody(delivery.request_body)}
                            </pre>
                          </div>
                          <div>
                            <div className="text-xs font-semibold uppercase text-zinc-500">Result</div>
                            <pre className="max-h-48 overflow-auto whitespace-pre-wrap break-all font-mono text-xs">
                              {formatBody(delivery.execution_result)}
                            </pre>
                          </div>
                        </div>
                        <div>
                          <div className="text-xs font-semibold uppercase text-zinc-500">Headers</div>
                          <pre className="max-h-48 overflow-auto whitespace-pre-wrap break-all font-mono text-xs">
                            {formatBody(delivery.request_headers)}
                          </pre>
                        </div>
                      </Td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </DataTable>
          <Pager
            page={page}
            pageSize={DELIVERY_PAGE_SIZE}
            total={deliveries.data?.total ?? 0}
            onPage={setPage}
          />
        </>
      ) : null}
    </section>
  );
}

/** The function's webhooks: URL to call, create (secret shown once), edit, new token, delete, deliveries. */
export function WebhooksPanel({ fn }: { fn: FunctionRead }) {
  const selfdb = useSelfDB();
  const { config } = useSession();
  const [editing, setEditing] = useState<WebhookRead | 'new' | null>(null);
  const [revealed, setRevealed] = useState<{ webhook: WebhookRead; secret: string } | null>(null);
  const [deleting, setDeleting] = useState<WebhookRead | null>(null);
  const [rotating, setRotating] = useState<WebhookRead | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  const webhooks = useAsync(async () => {
    const mine: WebhookRead[] = [];
    for (let page = 0; page < MAX_WEBHOOK_PAGES; page++) {
      const { webhooks: list, total } = unwrap(
        await listWebhooks({ client: selfdb.client, query: { limit: 100, offset: page * 100 } }),
      );
      mine.push(...list.filter((w) => w.function_id === fn.id));
      if (list.length < 100 || (page + 1) * 100 >= total) break;
    }
    return mine;
  }, [selfdb, fn.id]);

  const rows = webhooks.data ?? [];
  return (
    <div className="space-y-3">
      <div className="flex items-center justify-between gap-2">
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Outside services (GitHub, Stripe, …) POST to a webhook&apos;s URL; each delivery runs {fn.name} with
          the body, with retries.
        </p>
        <Button variant="primary" onClick={() => setEditing('new')}>
          Create webhook
        </Button>
      </div>
      <AsyncStatus state={webhooks} />
      {webhooks.data && rows.length === 0 ? (
        <EmptyState title="No webhooks for this function">
          Create one to get a URL that runs this function.
        </EmptyState>
      ) : null}
      {rows.map((webhook) => {
        const url = webhookUrl(config.apiUrl, webhook.webhook_token);
        return (
          <article
            key={webhook.id}
            aria-label={`Webhook ${webhook.name}`}
            className="space-y-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800"
          >
            <div className="flex flex-wrap items-start justify-between gap-2">
              <div>
                <h2 className="font-medium">{webhook.name}</h2>
                {webhook.description ? <p className="text-sm text-zinc-500">{webhook.description}</p> : null}
                <div className="mt-1 flex flex-wrap gap-1 text-xs">
                  {webhook.is_active ? <Badge tone="emerald">active</Badge> : <Badge>inactive</Badge>}
                  {webhook.provider ? <Badge>{webhook.provider}</Badge> : null}
                  {webhook.last_delivery_status ? (
                    <Badge tone={statusTone(webhook.last_delivery_status)}>
                      last: {webhook.last_delivery_status}
                    </Badge>
                  ) : null}
                  <span className="text-zinc-500">
                    {webhook.total_delivery_count} received, {webhook.successful_delivery_count} ok,{' '}
                    {webhook.failed_delivery_count} failed · {webhook.rate_limit_per_minute}/min ·{' '}
                    {webhook.retry_attempts} attempts from {webhook.retry_delay_seconds}s
                  </span>
                </div>
              </div>
              <div className="flex gap-1">
                <Button size="sm" onClick={() => setOpen(open === webhook.id ? null : webhook.id)}>
                  {open === webhook.id ? 'Hide deliveries' : 'Deliveries'}
                </Button>
                <Button size="sm" onClick={() => setEditing(webhook)}>
                  Edit
                </Button>
                <Button size="sm" onClick={() => setRotating(webhook)}>
                  New URL
                </Button>
                <Button size="sm" variant="danger" onClick={() => setDeleting(webhook)}>
                  Delete
                </Button>
              </div>
            </div>
            <div className="flex items-center gap-2">
              <code className="flex-1 break-all rounded bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-800">
                POST {url}
              </code>
              <CopyButton text={url} label={`Copy the URL of ${webhook.name}`} />
            </div>
            {open === webhook.id ? <Deliveries webhook={webhook} onChanged={webhooks.reload} /> : null}
          </article>
        );
      })}
      {editing ? (
        <WebhookDialog
          fn={fn}
          webhook={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(webhook, secret) => {
            setEditing(null);
            if (secret) setRevealed({ webhook, secret });
            webhooks.reload();
          }}
        />
      ) : null}
      {revealed ? (
        <SecretOnceDialog
          webhook={revealed.webhook}
          secret={revealed.secret}
          url={webhookUrl(config.apiUrl, revealed.webhook.webhook_token)}
          onClose={() => setRevealed(null)}
        />
      ) : null}
      {rotating ? (
        <ConfirmDialog
          title="New webhook URL"
          message={`Give ${rotating.name} a new URL? The current one stops working at once; update your provider.`}
          confirmLabel="Make a new URL"
          onClose={() => setRotating(null)}
          onConfirm={async () => {
            unwrap(
              await regenerateWebhookToken({ client: selfdb.client, path: { webhook_id: rotating.id } }),
            );
            setRotating(null);
            webhooks.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete webhook"
          message={`Delete the webhook ${deleting.name} and its deliveries? Its URL stops working.`}
          confirmLabel="Delete webhook"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            unwrap(await deleteWebhook({ client: selfdb.client, path: { webhook_id: deleting.id } }));
            setDeleting(null);
            webhooks.reload();
          }}
        />
      ) : null}
    </div>
  );
}
