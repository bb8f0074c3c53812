// The SQL Editor and API Docs pages in a real browser (Debian's Chromium) against a real backend: running SQL and
// seeing each statement's result, a guarded statement confirmed in a dialog, the history, snippets in folders,
// a CSV export's content, and the API reference of this install. Every step waits on what the user sees.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { SQL_EXAMPLES } from '../src/features/sql-editor/examples.ts';
import {
  ADMIN,
  API_KEY,
  api,
  collectPageErrors,
  type DashboardStack,
  signIn,
  startDashboardStack,
} from './helpers.ts';

const editor = (page: Page) => page.locator('.cm-content[aria-label="SQL query"]');
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits until the editor shows exactly `text` (CodeMirror lives in a shadow root: locators reach into it). */
async function waitForEditorText(page: Page, text: string): Promise<void> {
  try {
    await editor(page)
      .filter({ hasText: new RegExp(`^${escapeRegExp(text)}$`) })
      .waitFor();
  } catch (err) {
    const shown = await editor(page).textContent();
    throw new Error(`the editor shows ${JSON.stringify(shown)}, not ${JSON.stringify(text)}`, { cause: err });
  }
}

/** Replaces the editor's text (the CodeMirror chunk is loaded on demand: wait for it first). */
async function setSql(page: Page, sql: string): Promise<void> {
  await editor(page).waitFor();
  await editor(page).click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await waitForEditorText(page, '');
  await page.keyboard.insertText(sql);
  await waitForEditorText(page, sql);
  await page.keyboard.press('Escape'); // closes the autocompletion popup, if one opened
}

describe('SQL Editor and API Docs', { timeout: 300_000 }, () => {
  let s: DashboardStack;
  let page: Page;
  let errors: string[];
  let adminToken: string;
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const results = () => page.getByRole('region', { name: 'Results' });

  before(async () => {
    s = await startDashboardStack();
    const context = await s.browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    errors = collectPageErrors(page);
    await signIn(page, s.url, ADMIN.email, ADMIN.password);
    adminToken = String(
      (
        await api(s.apiUrl, 'POST', '/users/token', undefined, {
          email: ADMIN.email,
          password: ADMIN.password,
        })
      ).access_token,
    );
  });

  after(async () => {
    await s?.close();
  });

  it('runs a query with Ctrl+Enter and shows its result grid', async () => {
    await nav('SQL Editor').click();
    await page.getByRole('heading', { name: 'SQL Editor' }).waitFor();
    await setSql(page, 'select 1 as one');
    await page.keyboard.press('ControlOrMeta+Enter');
    const grid = results().getByRole('table', { name: 'Rows of Result' });
    await grid.waitFor();
    assert.deepEqual(await grid.getByRole('columnheader').allTextContents(), ['one']);
    assert.deepEqual(await grid.getByRole('cell').allTextContents(), ['1']);
    await results().getByText('1 row', { exact: true }).waitFor();
    await results()
      .getByText(/\d ms$/)
      .first()
      .waitFor();

    // Typing over a selection (the editor applies it: Chrome's own replacement logs a CSP error).
    await editor(page).click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('select 2 as two');
    await waitForEditorText(page, 'select 2 as two');
    await page.keyboard.press('Escape');
    assert.deepEqual(errors, []);
  });

  it('shows one result per statement, values as text, and exports a result as CSV', async () => {
    await setSql(
      page,
      `create table e2e_notes (id int primary key, note text); insert into e2e_notes values (1, 'a, "quoted"'), (2, null), (3, '<b>bold</b>'); select id, note from e2e_notes order by id`,
    );
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const third = results().getByRole('table', { name: 'Rows of Statement 3' });
    await third.waitFor();
    await results().getByRole('region', { name: 'Result of Statement 1' }).waitFor();
    await results()
      .getByRole('region', { name: 'Result of Statement 2' })
      .getByText('3 rows affected')
      .waitFor();
    await third.getByRole('cell', { name: '<b>bold</b>' }).waitFor();
    assert.equal(await third.locator('b').count(), 0, 'HTML in a value is shown as text');
    assert.equal(await third.getByRole('cell', { name: 'NULL' }).count(), 1);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      results()
        .getByRole('region', { name: 'Result of Statement 3' })
        .getByRole('button', { name: 'Export CSV' })
        .click(),
    ]);
    assert.match(download.suggestedFilename(), /^query-result-\d{8}-\d{6}\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    assert.equal(csv, 'id,note\r\n1,"a, ""quoted"""\r\n2,\r\n3,<b>bold</b>\r\n');

    // One transaction: the script goes whole, and the API answers its last statement's rows.
    await page.getByLabel(/^One transaction/).check();
    await setSql(page, 'select 1 as a; select 2 as b');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const whole = results().getByRole('table', { name: 'Rows of Script (2 statements, one transaction)' });
    await whole.waitFor();
    assert.deepEqual(await whole.getByRole('columnheader').allTextContents(), ['b']);
    assert.equal(await results().getByRole('region').count(), 1);
    await page.getByLabel(/^One transaction/).uncheck();

    // A failing statement shows Postgres's message and stops the rest.
    await setSql(page, 'select * from no_such_table; select 2');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await results()
      .getByRole('region', { name: 'Result of Statement 1' })
      .getByRole('alert')
      .filter({ hasText: 'relation "no_such_table" does not exist' })
      .waitFor();
    await results().getByRole('region', { name: 'Result of Statement 2' }).getByText('not run').waitFor();
    assert.ok(
      errors.every((e) => /status of 400/.test(e)),
      errors.join('\n'),
    );
    errors.length = 0; // the browser logs the 400 of the failed statement
  });

  it('asks before a destructive statement, runs it once confirmed, and skips it when cancelled', async () => {
    await setSql(page, 'delete from e2e_notes; select count(*) as remaining from e2e_notes');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    let dialog = page.getByRole('dialog', { name: 'Run a destructive statement?' });
    await dialog.locator('strong', { hasText: /DELETE without WHERE on "?e2e_notes/ }).waitFor();
    await dialog.getByText('delete from e2e_notes', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await results().getByRole('region', { name: 'Result of Statement 1' }).getByText('not run').waitFor();
    let rows = await api(s.apiUrl, 'POST', '/sql/query', adminToken, {
      query: 'select count(*)::int as n from e2e_notes',
    });
    assert.deepEqual(rows.data, [{ n: 3 }], 'nothing was deleted without the confirmation');

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    dialog = page.getByRole('dialog', { name: 'Run a destructive statement?' });
    await dialog.getByRole('button', { name: 'Run it' }).click();
    await dialog.waitFor({ state: 'detached' });
    await results()
      .getByRole('region', { name: 'Result of Statement 1' })
      .getByText('3 rows affected')
      .waitFor();
    const remaining = results().getByRole('table', { name: 'Rows of Statement 2' });
    await remaining.getByRole('cell', { name: '0', exact: true }).waitFor();
    rows = await api(s.apiUrl, 'POST', '/sql/query', adminToken, {
      query: 'select count(*)::int as n from e2e_notes',
    });
    assert.deepEqual(rows.data, [{ n: 0 }]);
    assert.ok(
      errors.every((e) => /status of 400/.test(e)),
      errors.join('\n'),
    );
    errors.length = 0; // the browser logs the guardrail's 400s
  });

  it('lists the history and loads a query from it', async () => {
    await setSql(page, 'select 42');
    const history = page.getByRole('tabpanel', { name: 'History' });
    const entry = history.getByRole('button', { name: /^select 1 as one/ });
    await entry.waitFor();
    await entry.click();
    await waitForEditorText(page, 'select 1 as one');

    // The Examples tab loads a query to start from.
    await page.getByRole('tab', { name: 'Examples' }).click();
    await page.getByRole('tabpanel', { name: 'Examples' }).getByRole('button', { name: 'Indexes' }).click();
    await editor(page).filter({ hasText: 'from pg_indexes' }).waitFor();
    // Every read-only example runs as the console's role.
    for (const example of SQL_EXAMPLES.filter((e) => e.sql.startsWith('select')))
      await api(s.apiUrl, 'POST', '/sql/query', adminToken, { query: example.sql });
    await page.getByRole('tab', { name: 'History' }).click();
    await entry.click();
    await waitForEditorText(page, 'select 1 as one');
  });

  it('saves a snippet in a folder, loads it back, renames and deletes it', async () => {
    await page.getByRole('button', { name: 'Save snippet' }).click();
    let dialog = page.getByRole('dialog', { name: 'Save snippet' });
    await dialog.getByLabel('Folder').fill('reports');
    await dialog.getByLabel('Name').fill('one');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const panel = page.getByRole('tabpanel', { name: 'Snippets' });
    const snippet = panel
      .getByRole('group', { name: 'Folder reports' })
      .getByRole('button', { name: 'one', exact: true });
    await snippet.waitFor();
    const stored = await api(s.apiUrl, 'GET', '/sql/snippets', adminToken);
    assert.deepEqual(
      (stored.snippets as { name: string; sql_code: string }[]).map((x) => [x.name, x.sql_code]),
      [['reports/one', 'select 1 as one']],
    );

    await setSql(page, 'select 2');
    await snippet.click();
    await waitForEditorText(page, 'select 1 as one');

    await panel.getByRole('button', { name: 'Rename reports/one' }).click();
    dialog = page.getByRole('dialog', { name: 'Rename snippet' });
    await dialog.getByLabel('Folder').fill('archive/2026');
    await dialog.getByLabel('Name').fill('uno');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await panel
      .getByRole('group', { name: 'Folder archive/2026' })
      .getByRole('button', { name: 'uno', exact: true })
      .waitFor();
    await panel.getByRole('group', { name: 'Folder reports' }).waitFor({ state: 'detached' });

    await panel.getByRole('button', { name: 'Delete archive/2026/uno' }).click();
    await page
      .getByRole('dialog', { name: 'Delete snippet' })
      .getByRole('button', { name: 'Delete snippet' })
      .click();
    await panel.getByText('No saved snippets').waitFor();
    assert.deepEqual((await api(s.apiUrl, 'GET', '/sql/snippets', adminToken)).snippets, []);
  });

  it("lists this install's operations on the API Docs page, with the key to copy and a working try-it", async () => {
    await nav('API Docs').click();
    await page.getByRole('heading', { name: 'API Docs' }).waitFor();
    const sql = page.getByRole('region', { name: 'Operations tagged sql' });
    await sql.getByRole('button', { name: /POST\s*\/sql\/query/ }).waitFor();
    assert.equal(await sql.getByRole('listitem').count(), 6);
    await page.getByRole('region', { name: 'Operations tagged tables' }).waitFor();

    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.url });
    await page.getByRole('button', { name: 'Copy API key' }).click();
    await page.getByRole('button', { name: 'Copy API key' }).getByText('Copied').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), API_KEY);
    const key = page.getByLabel('API key', { exact: true });
    assert.notEqual(await key.textContent(), API_KEY);
    await page.getByRole('button', { name: 'Show' }).click();
    assert.equal(await key.textContent(), API_KEY);
    const swagger = page.getByRole('link', { name: 'Full Swagger UI' });
    assert.equal(await swagger.getAttribute('href'), `${s.url}/api/docs/`);
    // Swagger UI behind the /api prefix: its page, its script and the document all answer.
    const ui = await fetch(`${s.url}/api/docs/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /src="\.\/static\/swagger-ui-bundle\.js"/);
    const bundle = await fetch(`${s.url}/api/docs/static/swagger-ui-bundle.js`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${s.url}/api/docs/json`)).status, 200);
    // And its "Try it out" reaches the API through the prefix, not the dashboard's root.
    const swaggerPage = await page.context().newPage();
    swaggerPage.setDefaultTimeout(30_000);
    const swaggerErrors = collectPageErrors(swaggerPage);
    await swaggerPage.goto(`${s.url}/api/docs/`);
    const health = swaggerPage.locator('.opblock').filter({ hasText: '/health' }).first();
    await health.locator('.opblock-summary').click();
    await health.getByRole('button', { name: 'Try it out' }).click();
    await health.getByRole('button', { name: 'Execute' }).click();
    await health.locator('.request-url').getByText(`${s.url}/api/health`).waitFor();
    await health.locator('.live-responses-table .response-col_status').getByText('200').waitFor();
    assert.deepEqual(swaggerErrors, []);
    await swaggerPage.close();

    await page.getByLabel('Search operations').fill('snippet');
    await page.getByRole('region', { name: 'Operations tagged tables' }).waitFor({ state: 'detached' });
    assert.equal(await sql.getByRole('listitem').count(), 3);
    await sql.getByRole('button', { name: /GET\s*\/sql\/snippets/ }).click();
    await sql.getByText('getSnippets()').waitFor();
    await sql.getByRole('button', { name: 'Send GET' }).click();
    const response = sql.getByRole('region', { name: 'Response' });
    await response.getByText('Status 200').waitFor();
    await response.getByText('"snippets": []').waitFor();

    // A JSON body, started from the schema's required fields.
    await page.getByLabel('Search operations').fill('/sql/query');
    await sql.getByRole('button', { name: /POST\s*\/sql\/query/ }).click();
    const body = sql.getByLabel('Body (SqlQueryRequest)');
    assert.deepEqual(JSON.parse(await body.inputValue()), { query: '' });
    await body.fill('{"query": "select 7 as seven"}');
    await sql.getByRole('button', { name: 'Send POST' }).click();
    const answer = sql.getByRole('region', { name: 'Response' });
    await answer.getByText('Status 200').waitFor();
    await answer.getByText('"seven": 7').waitFor();
    assert.deepEqual(errors, []);
  });
});
