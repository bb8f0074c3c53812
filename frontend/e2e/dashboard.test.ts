// The dashboard in a real browser (Debian's Chromium, headless) against a real backend, realtime and storage
// service: signing in, users, tables and rows, a row made elsewhere appearing live, the theme, signing out. Every
// step waits on what the user sees, never on time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  ADMIN,
  API_KEY,
  api,
  collectPageErrors,
  type DashboardStack,
  signIn,
  startDashboardStack,
} from './helpers.ts';

describe('dashboard', { timeout: 240_000 }, () => {
  let s: DashboardStack;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let adminToken: string;
  let tableId: string;
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  before(async () => {
    s = await startDashboardStack();
    context = await s.browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    errors = collectPageErrors(page);
  });

  after(async () => {
    await s?.close();
  });

  it('serves the app with its runtime config, security headers and cached hashed assets', async () => {
    const index = await fetch(`${s.url}/tables/some-page`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(index.headers.get('x-frame-options'), 'DENY');
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'index.html loads a hashed script');
    const asset = await fetch(`${s.url}${script}`);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.deepEqual(await (await fetch(`${s.url}/config.json`)).json(), { apiUrl: '/api', apiKey: API_KEY });
    assert.equal((await fetch(`${s.url}/assets/missing.js`)).status, 404);
    // /api/* reaches the backend with the prefix stripped.
    assert.equal((await fetch(`${s.url}/api/health`)).status, 200);
  });

  it('signs in and shows the summary cards', async () => {
    await page.goto(s.url);
    await page.waitForURL(/\/login$/);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /incorrect email or password/i })
      .waitFor();

    // Nobody has signed in yet: the page offers a restore, which needs the restore token.
    await page.getByRole('button', { name: 'Fresh install? Restore from a backup' }).click();
    await page.getByLabel('Backup archive (.tar.gz)').setInputFiles({
      name: 'selfdb_backup_20260101_000000.tar.gz',
      mimeType: 'application/gzip',
      buffer: Buffer.from('not really an archive'),
    });
    await page.getByLabel('Restore token').fill('not-the-token');
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /restore token/i })
      .waitFor();
    errors.length = 0; // the browser logs the 401s of the failed attempts
    await signIn(page, s.url, ADMIN.email, ADMIN.password);
    adminToken = String(
      (
        await api(s.apiUrl, 'POST', '/users/token', undefined, {
          email: ADMIN.email,
          password: ADMIN.password,
        })
      ).access_token,
    );
    await page.getByTestId('card-users').filter({ hasText: '1' }).waitFor();
    await page.getByTestId('card-tables').filter({ hasText: '0' }).waitFor();
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    assert.deepEqual(links, [
      'Dashboard',
      'Users',
      'Tables',
      'Storage',
      'Functions',
      'Schema',
      'SQL Editor',
      'Backups',
      'API Docs',
    ]);
    await nav('Storage').click();
    await page.getByRole('heading', { name: 'Storage' }).waitFor();
  });

  it('creates, edits, deactivates and deletes a user', async () => {
    await nav('Users').click();
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create user' });
    await dialog.getByLabel('Email').fill('grace@example.com');
    await dialog.getByLabel('First name').fill('Grace');
    await dialog.getByLabel('Last name').fill('Hopper');
    await dialog.getByLabel('Password').fill('GracePass123');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    const row = page.getByTestId('user-row').filter({ hasText: 'grace@example.com' });
    await row.waitFor();

    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit grace@example.com' });
    await edit.getByLabel('First name').fill('Amazing');
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.filter({ hasText: 'Amazing Hopper' }).waitFor();

    await row.getByRole('button', { name: 'Deactivate' }).click();
    await row.getByText('inactive').waitFor();

    await row.getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('dialog', { name: 'Delete user' })
      .getByRole('button', { name: 'Delete user' })
      .click();
    await row.waitFor({ state: 'detached' });
  });

  it('creates a table and edits its rows in the grid', async () => {
    await nav('Tables').click();
    await page.getByText('No tables yet').waitFor();
    await page.getByRole('button', { name: 'Create table' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create table' });
    await dialog.getByLabel('Name', { exact: true }).fill('todos');
    await dialog.getByLabel('Column 1 name').fill('title');
    await dialog.getByRole('button', { name: 'Add column' }).click();
    await dialog.getByLabel('Column 2 name').fill('priority');
    await dialog.getByLabel('Column 2 type').selectOption('integer');
    await dialog.getByRole('button', { name: 'Create table' }).click();
    await page.getByRole('heading', { name: 'todos' }).waitFor();
    await page.getByText('● Live').waitFor();
    tableId = /\/tables\/([0-9a-f-]+)$/.exec(page.url())?.[1] ?? '';
    assert.ok(tableId, page.url());

    // Columns: add one, see it, drop it (after a second click).
    await page.getByRole('button', { name: 'Columns' }).click();
    const columns = page.getByRole('dialog', { name: 'Columns' });
    await columns.getByLabel('New column name').fill('notes');
    await columns.getByRole('button', { name: 'Add column' }).click();
    await columns.getByTestId('column').filter({ hasText: 'notes' }).waitFor();
    await columns.getByRole('button', { name: 'Delete column notes' }).click();
    await columns.getByRole('button', { name: 'Delete notes and its data' }).click();
    await columns.getByTestId('column').filter({ hasText: 'notes' }).waitFor({ state: 'detached' });
    await columns.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Insert row' }).click();
    const insert = page.getByRole('dialog', { name: 'Insert row' });
    await insert.getByLabel(/^title/).fill('<b>write tests</b>');
    await insert.getByLabel(/^priority/).fill('2');
    await insert.getByRole('button', { name: 'Insert row' }).click();
    const row = page.getByTestId('data-row').filter({ hasText: '<b>write tests</b>' });
    await row.waitFor();
    assert.equal(await page.locator('b').count(), 0, 'HTML in data is shown as text');

    // Inline edit: a bad number shows the refusal and keeps the cell open; a good one saves.
    await row.getByLabel(/^priority of row/).dblclick();
    const cell = row.getByLabel(/^Edit priority of row/);
    await cell.fill('two');
    await cell.press('Enter');
    await row.getByRole('alert').filter({ hasText: 'not a number' }).waitFor();
    await cell.fill('5');
    await cell.press('Enter');
    await row
      .getByLabel(/^priority of row/)
      .filter({ hasText: '5' })
      .waitFor();
    const stored = await api(s.apiUrl, 'GET', `/tables/${tableId}/data`, adminToken);
    assert.equal((stored.data as Array<{ priority: number }>)[0]?.priority, 5);

    await row.getByRole('button', { name: /^Delete row/ }).click();
    await page
      .getByRole('dialog', { name: 'Delete row' })
      .getByRole('button', { name: 'Delete row' })
      .click();
    await page.getByText('No rows yet').waitFor();
  });

  it('shows rows inserted, changed and deleted through the API live, without a reload', async () => {
    const inserted = await api(s.apiUrl, 'POST', `/tables/${tableId}/data`, adminToken, {
      title: 'from elsewhere',
      priority: 1,
    });
    const id = String((inserted.data as { id: string }).id);
    const row = page.locator(`[data-row-id="${id}"]`);
    await row.filter({ hasText: 'from elsewhere' }).waitFor();

    await api(s.apiUrl, 'PATCH', `/tables/${tableId}/data/${id}`, adminToken, { title: 'changed elsewhere' });
    await row.filter({ hasText: 'changed elsewhere' }).waitFor();

    await api(s.apiUrl, 'POST', `/tables/${tableId}/data`, adminToken, { title: 'second', priority: 9 });
    await page.getByTestId('data-row').filter({ hasText: 'second' }).waitFor();

    // Server-side filter: only rows with priority > 5 stay.
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByLabel('Filter 1 column').selectOption('priority');
    await page.getByLabel('Filter 1 operator').selectOption('gt');
    await page.getByLabel('Filter 1 value').fill('5');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByTestId('data-row').filter({ hasText: 'second' }).waitFor();
    await page.getByRole('button', { name: 'Remove filter 1' }).click();
    await row.waitFor();

    await api(s.apiUrl, 'DELETE', `/tables/${tableId}/data/${id}`, adminToken);
    await row.waitFor({ state: 'detached' });
  });

  it('remembers the dark theme across a reload, and signs out', async () => {
    const isDark = async () => /\bdark\b/.test((await page.locator('html').getAttribute('class')) ?? '');
    const before = await isDark();
    await page.getByRole('button', { name: before ? 'Switch to light mode' : 'Switch to dark mode' }).click();
    assert.equal(await isDark(), !before);
    await page.reload();
    await page.getByRole('heading', { name: 'todos' }).waitFor();
    assert.equal(await isDark(), !before);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto(`${s.url}/users`);
    await page.waitForURL(/\/login$/);
    assert.deepEqual(errors, []);
  });

  it('lets a USER edit their own profile and password, without the admin pages', async () => {
    await api(s.apiUrl, 'POST', '/users/', undefined, {
      email: 'ursula@example.com',
      password: 'UrsulaPass123',
      firstName: 'Ursula',
      lastName: 'User',
    });
    await signIn(page, s.url, 'ursula@example.com', 'UrsulaPass123');
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    assert.deepEqual(links, ['Dashboard', 'Tables', 'Storage']);
    await page.getByTestId('card-tables').waitFor();

    await page.getByRole('link', { name: /^Profile/ }).click();
    await page.getByLabel('First name').fill('Ulla');
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const me = await api(s.apiUrl, 'GET', '/users/me', await tokenOf('ursula@example.com', 'UrsulaPass123'));
    assert.equal(me.firstName, 'Ulla');

    await page.getByLabel('Current password').fill('UrsulaPass123');
    await page.getByLabel('New password').fill('UrsulaPass456');
    await page.getByRole('button', { name: 'Save' }).nth(1).click();
    await page.getByText('Your password was changed. Sign in with the new one.').waitFor();
    await signIn(page, s.url, 'ursula@example.com', 'UrsulaPass456');
    assert.deepEqual(errors, []);

    // Her sessions end elsewhere: the next request fails, the refresh too, and she lands on the sign-in page.
    await api(s.apiUrl, 'POST', '/users/logout/all', await tokenOf('ursula@example.com', 'UrsulaPass456'));
    await nav('Tables').click();
    await page.getByText('Your session has expired. Sign in again.').waitFor();
    assert.match(page.url(), /\/login$/);
  });

  async function tokenOf(email: string, password: string): Promise<string> {
    return String((await api(s.apiUrl, 'POST', '/users/token', undefined, { email, password })).access_token);
  }
});
