// The Functions page in a real browser against the real stack, functions runtime (Deno sandboxes) included: create a
// function, edit its code in the editor, deploy (a broken version first: the runtime's reason shows), invoke it and
// see the answer, see the execution and its log line, create a webhook and see its secret once, call the webhook's
// URL signed (GitHub form) from the test and see the delivery complete, retry it, delete both. Every step waits on
// what the user sees, never on time.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  ADMIN,
  api,
  collectPageErrors,
  type DashboardStack,
  signIn,
  startDashboardStackWithFunctions,
} from './helpers.ts';

const CODE = `export const triggers = [{ type: 'http', method: ['POST'] }];
export default async function (request: Request) {
  const body = await request.json();
  console.log('greeting ' + body.name);
  return { greeting: 'Hi ' + body.name };
}
`;

/**
 * Clicks `refresh` until the first `row`'s cells satisfy `check` (a background job finishing), or fails after
 * `timeoutMs`.
 */
async function refreshUntil(
  refresh: Locator,
  row: Locator,
  check: (cells: string[]) => boolean,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await row.first().waitFor();
    const cells = await row.first().locator('td').allTextContents();
    if (check(cells)) return;
    if (Date.now() > deadline) throw new Error(`the row never got there: ${JSON.stringify(cells)}`);
    await refresh.click();
    await row.first().page().waitForTimeout(300); // between refreshes only; the assert is on what shows
  }
}

/** Replaces the whole text of the CodeMirror editor named `label`, as pasting it would. */
async function replaceCode(page: Page, label: string, code: string) {
  const editor = page.getByRole('textbox', { name: label });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  // A paste event carries the text exactly (typing would auto-close brackets and re-indent lines).
  await editor.evaluate((element, text) => {
    // The page's own constructors (this file is type-checked without the DOM library).
    const win = element.ownerDocument.defaultView as unknown as {
      DataTransfer: new () => { setData(type: string, value: string): void };
      ClipboardEvent: new (type: string, init: object) => Event;
    };
    const data = new win.DataTransfer();
    data.setData('text/plain', text);
    element.dispatchEvent(
      new win.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
    );
  }, code);
}

describe('functions page', { timeout: 300_000 }, () => {
  let s: DashboardStack;
  let page: Page;
  let errors: string[];
  let adminToken: string;
  let webhookUrl: string;
  let secret: string;

  before(async () => {
    s = await startDashboardStackWithFunctions();
    const context = await s.browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    errors = collectPageErrors(page);
    const login = await api(s.apiUrl, 'POST', '/users/token', undefined, {
      email: ADMIN.email,
      password: ADMIN.password,
    });
    adminToken = String(login.access_token);
  });

  after(async () => {
    await s?.close();
  });

  it('creates a function from the template, then edits, deploys and invokes it', async () => {
    await signIn(page, s.url, ADMIN.email, ADMIN.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Functions' }).click();
    await page.getByRole('heading', { name: 'Functions' }).waitFor();
    await page.getByText('No functions yet').waitFor();

    await page.getByRole('button', { name: 'Create function' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create function' });
    await dialog.getByLabel('Name').fill('greeter');
    await dialog.getByLabel('Description').fill('<b>says hi</b>');
    // The editor starts from the template (SelfDB's module contract).
    await dialog
      .getByRole('textbox', { name: 'Function code' })
      .getByText(/export default async function/)
      .waitFor();
    await dialog.getByRole('button', { name: 'Add variable' }).click();
    await dialog.getByLabel('Variable 1 name').fill('GREETING');
    await dialog.getByLabel('Variable 1 value').fill('hi');
    await dialog.getByRole('button', { name: 'Create function' }).click();

    // The function's page: pending, not deployed; the description is text, not HTML.
    await page.getByRole('heading', { name: 'greeter' }).waitFor();
    await page.getByText('<b>says hi</b>').waitFor();
    await page.getByTestId('deployment-status').getByText('pending').waitFor();

    // A broken version: the deploy fails with the runtime's reason (line and column), shown as it is.
    await replaceCode(page, 'Function code', 'export default async function () {\n  const x = ;\n}\n');
    await page.getByText('Unsaved changes').waitFor();
    await page.getByRole('button', { name: 'Save and deploy' }).click();
    await page.getByTestId('deployment-status').getByText('failed').waitFor();
    await page
      .getByRole('alert')
      .filter({ hasText: /did not deploy: .*line 2/ })
      .waitFor();

    // The real code: saved, deployed, its triggers shown.
    await replaceCode(page, 'Function code', CODE);
    await page.getByRole('button', { name: 'Save and deploy' }).click();
    await page.getByTestId('deployment-status').getByText('deployed').waitFor();
    await page.getByText('HTTP POST').waitFor();
    const fn = await api(s.apiUrl, 'GET', '/functions/?search=greeter', adminToken);
    const [created] = fn.functions as { code: string; env_vars: Record<string, string>; version: number }[];
    assert.equal(created?.code, CODE);
    assert.deepEqual(created?.env_vars, { GREETING: 'hi' });
    assert.equal(created?.version, 3);

    // Invoke through the HTTP trigger route.
    await page.getByRole('tab', { name: 'Test' }).click();
    await page.getByLabel('Request body (JSON)').fill('{"name": "Ada"}');
    await page.getByRole('button', { name: 'Invoke' }).click();
    await page.getByTestId('invoke-status').getByText('200').waitFor();
    await page
      .getByTestId('invoke-body')
      .getByText(/"greeting": "Hi Ada"/)
      .waitFor();

    // Not JSON: refused before anything is sent.
    await page.getByLabel('Request body (JSON)').fill('{name: Ada}');
    await page.getByRole('button', { name: 'Invoke' }).click();
    await page.getByRole('alert').filter({ hasText: 'The body is not JSON' }).waitFor();
    assert.deepEqual(errors, []);
  });

  it('lists the execution with its trigger and its log line', async () => {
    await page.getByRole('tab', { name: 'Executions' }).click();
    const row = page.getByTestId('execution-row');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    await row.getByText('completed').waitFor();
    await row.getByText('http', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Logs' }).click();
    await page.getByTestId('log-line').filter({ hasText: 'greeting Ada' }).waitFor();
    await page.getByText('"greeting": "Hi Ada"').waitFor();

    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByTestId('log-line').filter({ hasText: 'greeting Ada' }).waitFor();
    await page.getByLabel('Log level').selectOption('error');
    await page.getByText('No error lines').waitFor();
    assert.deepEqual(errors, []);
  });

  it('saves settings: timeout, env vars and active (an inactive function is not invoked)', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel('Timeout (s)').fill('60');
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Variable 2 name').fill('SECOND');
    await page.getByLabel('Variable 2 value').fill('two');
    await page.getByLabel(/^Active/).uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.getByText('inactive', { exact: true }).waitFor();
    const [fn] = (await api(s.apiUrl, 'GET', '/functions/?search=greeter', adminToken)).functions as {
      timeout_seconds: number;
      is_active: boolean;
      env_vars: Record<string, string>;
    }[];
    assert.equal(fn?.timeout_seconds, 60);
    assert.equal(fn?.is_active, false);
    assert.deepEqual(fn?.env_vars, { GREETING: 'hi', SECOND: 'two' });

    await page.getByRole('tab', { name: 'Test' }).click();
    await page.getByText('It is inactive: switch it on in Settings.').waitFor();

    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel(/^Active/).check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.getByText('active', { exact: true }).waitFor();
    assert.deepEqual(errors, []);
  });

  it('creates a webhook, shows its secret once, and records a signed delivery that can be retried', async () => {
    await page.getByRole('tab', { name: 'Webhooks' }).click();
    await page.getByText('No webhooks for this function').waitFor();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create webhook' });
    await dialog.getByLabel('Webhook name').fill('incoming');
    await dialog.getByLabel('Provider').fill('github');
    const generated = await dialog.getByLabel('Secret key').inputValue();
    assert.match(generated, /^[0-9a-f]{64}$/);
    await dialog.getByRole('button', { name: 'Create webhook' }).click();

    const once = page.getByRole('dialog', { name: /copy its secret now/ });
    await once.getByText('This is the only time the secret is shown').waitFor();
    secret = (await once.getByTestId('webhook-secret').textContent()) ?? '';
    assert.equal(secret, generated);
    webhookUrl = (await once.getByTestId('webhook-url').textContent()) ?? '';
    assert.match(webhookUrl, new RegExp(`^${s.url}/api/webhooks/trigger/[A-Za-z0-9_-]+$`));
    await once.getByRole('button', { name: 'I have stored the secret' }).click();
    await once.waitFor({ state: 'detached' });

    // Never shown again: not on the page, and the API answers it masked.
    const card = page.getByRole('article', { name: 'Webhook incoming' });
    await card.getByText(webhookUrl).waitFor();
    assert.equal((await page.content()).includes(secret), false);
    const listed = await api(s.apiUrl, 'GET', '/webhooks/', adminToken);
    assert.equal((listed.webhooks as { secret_key: string }[])[0]?.secret_key, '********');

    // An outside service calls the URL shown, signed with the secret (GitHub's form).
    const body = JSON.stringify({ name: 'hook' });
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
      body,
    });
    assert.equal(response.status, 202);

    await card.getByRole('button', { name: 'Deliveries' }).click();
    const refresh = card.getByRole('button', { name: 'Refresh deliveries' });
    const delivery = card.getByTestId('delivery-row');
    // Cells: received, status, signature, attempt, duration, from, actions.
    await refreshUntil(refresh, delivery, (cells) => cells[1] === 'completed');
    await delivery.getByText('signed').waitFor();
    await delivery.getByRole('button', { name: 'Details' }).click();
    await card.getByText('"greeting": "Hi hook"').waitFor();

    // Retry runs it again: a second attempt, completed.
    await delivery.getByRole('button', { name: 'Retry' }).click();
    await refreshUntil(refresh, delivery, (cells) => cells[1] === 'completed' && cells[3] === '2');
    assert.deepEqual(errors, []);
  });

  it('edits the webhook with a new secret, shown once; the old secret then fails the signature', async () => {
    const card = page.getByRole('article', { name: 'Webhook incoming' });
    await card.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit incoming' });
    assert.equal(await dialog.getByLabel('New secret key').inputValue(), '');
    await dialog.getByLabel('Rate limit / min').fill('50');
    await dialog.getByLabel('New secret key').fill('a-new-secret-0123456789');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const once = page.getByRole('dialog', { name: /copy its secret now/ });
    await once.getByTestId('webhook-secret').getByText('a-new-secret-0123456789').waitFor();
    await once.getByRole('button', { name: 'I have stored the secret' }).click();
    await card.getByText(/50\/min/).waitFor();

    // Signed with the old secret: refused (401), recorded as a bad signature, and it cannot be retried.
    const body = JSON.stringify({ name: 'old' });
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
      body,
    });
    assert.equal(response.status, 401);
    const refresh = card.getByRole('button', { name: 'Refresh deliveries' });
    const delivery = card.getByTestId('delivery-row');
    await refreshUntil(refresh, delivery, (cells) => cells[2] === 'bad signature');
    assert.equal(await delivery.first().getByRole('button', { name: 'Retry' }).isDisabled(), true);

    // A new URL: the old one stops working at once.
    await card.getByRole('button', { name: 'New URL' }).click();
    await page
      .getByRole('dialog', { name: 'New webhook URL' })
      .getByRole('button', { name: 'Make a new URL' })
      .click();
    await card.getByText(webhookUrl).waitFor({ state: 'detached' });
    const newUrl = ((await card.locator('code').textContent()) ?? '').replace(/^POST /, '');
    assert.match(newUrl, /\/api\/webhooks\/trigger\/[A-Za-z0-9_-]+$/);
    assert.equal((await fetch(webhookUrl, { method: 'POST', body: '{}' })).status, 404);
    webhookUrl = newUrl;
    assert.deepEqual(errors, []);
  });

  it('deletes the webhook and the function after confirming', async () => {
    // The dashboard counts them (admins).
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('card-functions').filter({ hasText: /^1$/ }).waitFor();
    await page.getByTestId('card-webhooks').filter({ hasText: /^1$/ }).waitFor();
    await page.goBack();
    await page.getByRole('tab', { name: 'Webhooks' }).click();

    const card = page.getByRole('article', { name: 'Webhook incoming' });
    await card.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete webhook' });
    await confirm.getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByText('No webhooks for this function').waitFor();
    // Its URL stops working.
    assert.equal((await fetch(webhookUrl, { method: 'POST', body: '{}' })).status, 404);

    await page.getByRole('button', { name: 'Delete function' }).click();
    await page
      .getByRole('dialog', { name: 'Delete function' })
      .getByRole('button', { name: 'Delete function' })
      .click();
    await page.waitForURL(/\/functions$/);
    await page.getByText('No functions yet').waitFor();
    const left = await api(s.apiUrl, 'GET', '/functions/', adminToken);
    assert.equal(left.total, 0);
    assert.deepEqual(errors, []);
  });

  it("shows the API's detail when a name is taken", async () => {
    await api(s.apiUrl, 'POST', '/functions/', adminToken, { name: 'taken', code: CODE });
    await page.reload();
    await page.getByTestId('function-row').filter({ hasText: 'taken' }).waitFor();
    await page.getByRole('button', { name: 'Create function' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create function' });
    await dialog.getByLabel('Name').fill('taken');
    await dialog.getByRole('button', { name: 'Create function' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: "Function with name 'taken' already exists" })
      .waitFor();
    // The dialog stays open with what was typed.
    assert.equal(await dialog.getByLabel('Name').inputValue(), 'taken');
    errors.length = 0; // the browser logs the 409
  });
});
