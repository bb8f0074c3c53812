import {
  createWebhook,
  type FunctionRead,
  unwrap,
  updateWebhook,
  type WebhookRead,
  type WebhookUpdate,
} from '@selfdb/sdk';
import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Dialog, FormDialog } from '../../components/ui/dialog.tsx';
import { Checkbox, Field, Input } from '../../components/ui/field.tsx';
import { useSelfDB } from '../../lib/session.tsx';
import { CopyButton } from './copy-button.tsx';
import { generateSecret } from './functions.ts';

/**
 * Creates a webhook for `fn` or edits one. The API answers the secret in clear only here (create, or a new secret
 * on edit): `onSaved` gets it so the page can show it once.
 */
export function WebhookDialog({
  fn,
  webhook,
  onClose,
  onSaved,
}: {
  fn: FunctionRead;
  webhook: WebhookRead | null;
  onClose(): void;
  onSaved(webhook: WebhookRead, newSecret: string | null): void;
}) {
  const selfdb = useSelfDB();
  const [name, setName] = useState(webhook?.name ?? '');
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [provider, setProvider] = useState(webhook?.provider ?? '');
  const [eventType, setEventType] = useState(webhook?.provider_event_type ?? '');
  // A new webhook gets a random secret (the admin may paste their provider's instead); an edit keeps the old one
  // unless a new one is typed.
  const [secret, setSecret] = useState(() => (webhook ? '' : generateSecret()));
  const [active, setActive] = useState(webhook?.is_active ?? true);
  const [rateLimit, setRateLimit] = useState(String(webhook?.rate_limit_per_minute ?? 100));
  const [attempts, setAttempts] = useState(String(webhook?.retry_attempts ?? 3));
  const [delay, setDelay] = useState(String(webhook?.retry_delay_seconds ?? 60));

  async function save() {
    const client = selfdb.client;
    if (!webhook) {
      const created = unwrap(
        await createWebhook({
          client,
          body: {
            function_id: fn.id,
            name: name.trim(),
            description: description.trim() || null,
            secret_key: secret,
            provider: provider.trim() || null,
            provider_event_type: eventType.trim() || null,
            rate_limit_per_minute: Number(rateLimit),
            retry_attempts: Number(attempts),
            retry_delay_seconds: Number(delay),
          },
        }),
      );
      // Created active (0.0.5's shape has no is_active on create): switch it off if asked.
      const final = active
        ? created
        : unwrap(
            await updateWebhook({ client, path: { webhook_id: created.id }, body: { is_active: false } }),
          );
      onSaved(final, created.secret_key);
      return;
    }
    const body: WebhookUpdate = {};
    if (name.trim() !== webhook.name) body.name = name.trim();
    if ((description.trim() || null) !== webhook.description) body.description = description.trim() || null;
    if (secret) body.secret_key = secret;
    if (active !== webhook.is_active) body.is_active = active;
    if (Number(rateLimit) !== webhook.rate_limit_per_minute) body.rate_limit_per_minute = Number(rateLimit);
    if (Number(attempts) !== webhook.retry_attempts) body.retry_attempts = Number(attempts);
    if (Number(delay) !== webhook.retry_delay_seconds) body.retry_delay_seconds = Number(delay);
    const updated =
      Object.keys(body).length === 0
        ? webhook
        : unwrap(await updateWebhook({ client, path: { webhook_id: webhook.id }, body }));
    onSaved(updated, secret ? updated.secret_key : null);
  }

  return (
    <FormDialog
      title={webhook ? `Edit ${webhook.name}` : 'Create webhook'}
      submitLabel={webhook ? 'Save' : 'Create webhook'}
      onClose={onClose}
      onSubmit={save}
      wide
    >
      <Field label="Webhook name">
        <Input required maxLength={255} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label="Description">
        <Input maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      {webhook ? null : (
        <div className="grid grid-cols-2 gap-3">
          <Field label="Provider" hint="e.g. github, stripe (for your reference).">
            <Input maxLength={50} value={provider} onChange={(e) => setProvider(e.target.value)} />
          </Field>
          <Field label="Event type">
            <Input maxLength={255} value={eventType} onChange={(e) => setEventType(e.target.value)} />
          </Field>
        </div>
      )}
      <Field
        label={webhook ? 'New secret key' : 'Secret key'}
        hint={
          webhook
            ? 'Leave empty to keep the current secret. A new one is shown once after saving.'
            : 'Verifies signed deliveries (GitHub, Stripe, Standard Webhooks). Shown once after creation.'
        }
      >
        <div className="flex gap-2">
          <Input
            required={!webhook}
            maxLength={255}
            autoComplete="off"
            className="font-mono"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
          />
          <Button onClick={() => setSecret(generateSecret())}>Generate</Button>
        </div>
      </Field>
      <div className="grid grid-cols-3 gap-3">
        <Field label="Rate limit / min">
          <Input
            type="number"
            required
            min={1}
            max={10000}
            value={rateLimit}
            onChange={(e) => setRateLimit(e.target.value)}
          />
        </Field>
        <Field label="Retry attempts">
          <Input
            type="number"
            required
            min={1}
            max={10}
            value={attempts}
            onChange={(e) => setAttempts(e.target.value)}
          />
        </Field>
        <Field label="Retry delay (s)">
          <Input
            type="number"
            required
            min={1}
            max={3600}
            value={delay}
            onChange={(e) => setDelay(e.target.value)}
          />
        </Field>
      </div>
      <Checkbox label="Active" checked={active} onChange={(e) => setActive(e.target.checked)} />
    </FormDialog>
  );
}

/** The secret, shown once (the API never answers it again), and the URL to give the provider. */
export function SecretOnceDialog({
  webhook,
  secret,
  url,
  onClose,
}: {
  webhook: WebhookRead;
  secret: string;
  url: string;
  onClose(): void;
}) {
  return (
    <Dialog
      title={`Webhook ${webhook.name}: copy its secret now`}
      onClose={onClose}
      wide
      footer={
        <Button variant="primary" onClick={onClose}>
          I have stored the secret
        </Button>
      }
    >
      <div className="space-y-4 text-sm">
        <p
          role="note"
          className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900 dark:border-amber-900 dark:bg-amber-950 dark:text-amber-200"
        >
          This is the only time the secret is shown. SelfDB keeps it to verify signatures but never displays
          it again: store it in your provider&apos;s settings now. If you lose it, set a new one by editing
          the webhook.
        </p>
        <div className="space-y-1">
          <div className="font-medium">Secret key</div>
          <div className="flex items-center gap-2">
            <code
              data-testid="webhook-secret"
              className="flex-1 break-all rounded bg-zinc-100 p-2 font-mono dark:bg-zinc-800"
            >
              {secret}
            </code>
            <CopyButton text={secret} label="Copy secret" />
          </div>
        </div>
        <div className="space-y-1">
          <div className="font-medium">URL to call (POST, no API key)</div>
          <div className="flex items-center gap-2">
            <code
              data-testid="webhook-url"
              className="flex-1 break-all rounded bg-zinc-100 p-2 font-mono dark:bg-zinc-800"
            >
              {url}
            </code>
            <CopyButton text={url} label="Copy URL" />
          </div>
        </div>
      </div>
    </Dialog>
  );
}
