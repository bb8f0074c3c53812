// The Storage pages in a real browser (Debian's Chromium, headless) against a real backend and storage service:
// a bucket made through its dialog, a small file through the file input, a few-MB file through the resumable (tus)
// path with its progress bar and a dropped connection in the middle, a file dropped on the page, a text file whose
// content is HTML previewed as text, an image preview, a download whose bytes are checked, a signed link that works
// without any credentials, and deleting file and bucket behind their confirmations. No console errors.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
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

const BUCKET = 'e2e-files';
const HTML_TEXT = '<b>x</b>';
const BIG = randomBytes(6 * 1024 * 1024 + 12_345);
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('storage pages', { timeout: 300_000 }, () => {
  let s: DashboardStack;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let adminToken: string;
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const fileRow = (name: string) => page.getByTestId('file-row').filter({ hasText: name });

  before(async () => {
    s = await startDashboardStack();
    context = await s.browser.newContext({ acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.url });
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

  it('creates a bucket through its dialog and opens it', async () => {
    await nav('Storage').click();
    await page.getByText('No buckets yet').waitFor();
    await page.getByRole('button', { name: 'Create bucket' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create bucket' });
    await dialog.getByLabel('Name').fill(BUCKET);
    await dialog.getByLabel('Description').fill('files of the browser test');
    await dialog.getByRole('button', { name: 'Create bucket' }).click();
    await page.getByRole('heading', { name: BUCKET }).waitFor();
    await page.getByText('No files yet').waitFor();
    await page.getByText('private', { exact: true }).waitFor();
  });

  it('uploads a small file through the file input', async () => {
    await page.getByLabel('Upload files').setInputFiles({
      name: 'hello.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(HTML_TEXT),
    });
    await page.getByTestId('upload-item').filter({ hasText: 'hello.txt' }).getByText('Uploaded').waitFor();
    await fileRow('hello.txt').waitFor();
    await fileRow('hello.txt').getByText('8 B').waitFor();
  });

  it('uploads a few-MB file resumably, with a progress bar, through a dropped connection', async () => {
    const requests: string[] = [];
    let patches = 0;
    await page.route(
      (url) => url.pathname.startsWith('/api/storage/uploads'),
      async (route) => {
        const method = route.request().method();
        requests.push(method);
        // The second chunk never arrives: the connection drops.
        if (method === 'PATCH' && ++patches === 2) {
          requests.push('dropped');
          await route.abort('internetdisconnected');
          return;
        }
        await route.continue();
      },
    );
    await page.getByLabel('Upload files').setInputFiles({
      name: 'big.bin',
      mimeType: 'application/octet-stream',
      buffer: BIG,
    });
    const item = page.getByTestId('upload-item').filter({ hasText: 'big.bin' });
    const bar = page.getByRole('progressbar', { name: 'Upload of big.bin' });
    await bar.waitFor({ state: 'visible' });
    await item.getByText('resumable').waitFor();
    await item.getByText('Uploaded').waitFor({ timeout: 120_000 });
    assert.equal(await bar.getAttribute('aria-valuenow'), '100');
    await page.unroute((url) => url.pathname.startsWith('/api/storage/uploads'));
    // Created, sent, lost a chunk, asked the server where it stood, and went on from there.
    assert.deepEqual(requests.slice(0, 4), ['POST', 'PATCH', 'PATCH', 'dropped']);
    assert.ok(requests.includes('HEAD'), `a HEAD after the drop: ${requests.join(' ')}`);
    assert.equal(
      requests.filter((m) => m === 'PATCH').length,
      5,
      `4 chunks, one sent twice: ${requests.join(' ')}`,
    );
    await fileRow('big.bin').getByText('6.0 MB').waitFor();

    const stored = await fetch(`${s.apiUrl}/storage/files/download/${BUCKET}/big.bin`, {
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${adminToken}` },
    });
    assert.equal(stored.status, 200);
    assert.equal(
      sha(Buffer.from(await stored.arrayBuffer())),
      sha(BIG),
      'the stored bytes are the picked ones',
    );
  });

  it('uploads a file dropped on the page', async () => {
    // (Browser code as strings: the e2e files are type-checked without the DOM library.)
    const dataTransfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['dropped on the page'], 'dropped.txt', { type: 'text/plain' }));
      return transfer;
    })()`);
    await page.getByTestId('drop-zone').dispatchEvent('dragover', { dataTransfer });
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
    await fileRow('dropped.txt').waitFor();
  });

  it('previews a text file as text, never as HTML, and an image', async () => {
    await fileRow('hello.txt').getByRole('button', { name: 'Preview' }).click();
    const dialog = page.getByRole('dialog', { name: 'Preview of hello.txt' });
    const text = dialog.getByTestId('text-preview');
    await text.waitFor();
    assert.equal(await text.textContent(), HTML_TEXT);
    assert.equal(await dialog.locator('b').count(), 0, 'the markup is not rendered');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    // A big binary file offers no preview.
    assert.equal(await fileRow('big.bin').getByRole('button', { name: 'Preview' }).count(), 0);

    await page
      .getByLabel('Upload files')
      .setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG });
    await fileRow('dot.png').getByRole('button', { name: 'Preview' }).click();
    const imageDialog = page.getByRole('dialog', { name: 'Preview of dot.png' });
    const image = imageDialog.getByRole('img', { name: 'dot.png' });
    await image.waitFor();
    assert.match((await image.getAttribute('src')) ?? '', /^blob:/);
    await page.waitForFunction("document.querySelector('[role=dialog] img')?.naturalWidth === 1");
    await imageDialog.getByRole('button', { name: 'Close' }).click();
    await imageDialog.waitFor({ state: 'detached' });

    // A file another client puts in a folder of the bucket appears live, with its path, and previews all the same.
    await page.getByText('● Live').waitFor();
    const bucketId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const query = new URLSearchParams({
      bucket_id: bucketId,
      filename: 'readme.txt',
      path: 'docs/readme.txt',
    });
    const uploaded = await fetch(`${s.apiUrl}/storage/files/upload?${query}`, {
      method: 'POST',
      headers: {
        'x-api-key': API_KEY,
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/octet-stream',
      },
      body: 'in a folder',
    });
    assert.equal(uploaded.status, 201);
    await fileRow('docs/readme.txt').getByRole('button', { name: 'Preview' }).click();
    const nested = page.getByRole('dialog', { name: 'Preview of readme.txt' });
    await nested.getByTestId('text-preview').filter({ hasText: 'in a folder' }).waitFor();
    await nested.getByRole('button', { name: 'Close' }).click();
  });

  it('downloads a file with its exact bytes', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      fileRow('hello.txt').getByRole('button', { name: 'Download' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'hello.txt');
    assert.equal((await readFile(await download.path())).toString(), HTML_TEXT);
  });

  it('creates a signed link that works without credentials, and copies it', async () => {
    await fileRow('hello.txt').getByRole('button', { name: 'Signed link' }).click();
    const dialog = page.getByRole('dialog', { name: 'Signed link to hello.txt' });
    await dialog.getByLabel('Valid for').selectOption({ label: '5 minutes' });
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const link = dialog.getByLabel('Link');
    await link.waitFor();
    const url = await link.inputValue();
    assert.match(url, new RegExp(`^${s.url}/api/storage/signed/${BUCKET}/hello\\.txt\\?`));
    const response = await fetch(url); // no API key, no token
    assert.equal(response.status, 200);
    assert.equal(await response.text(), HTML_TEXT);
    await dialog.getByRole('button', { name: 'Copy link' }).click();
    await dialog.getByText('Copied').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), url);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('edits the bucket and lists it with its badge, file count and size', async () => {
    await page.getByRole('button', { name: 'Edit bucket' }).click();
    const dialog = page.getByRole('dialog', { name: `Edit bucket ${BUCKET}` });
    await dialog.getByLabel('Public (anyone with the API key can read and download)').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('public', { exact: true }).waitFor();
    await page.getByRole('link', { name: '← Buckets' }).click();
    const row = page.getByTestId('bucket-row').filter({ hasText: BUCKET });
    // A refusal shows the API's detail and keeps the dialog with what was typed.
    const logged = errors.length;
    await page.getByRole('button', { name: 'Create bucket' }).click();
    const create = page.getByRole('dialog', { name: 'Create bucket' });
    await create.getByLabel('Name').fill(BUCKET);
    await create.getByRole('button', { name: 'Create bucket' }).click();
    await create.getByRole('alert').filter({ hasText: 'Bucket name already exists' }).waitFor();
    assert.equal(await create.getByLabel('Name').inputValue(), BUCKET);
    await create.getByRole('button', { name: 'Cancel' }).click();
    // The browser logs the 409 itself; only that one is expected.
    const conflict = errors.splice(logged);
    assert.deepEqual(conflict, [
      'console: Failed to load resource: the server responded with a status of 409 (Conflict)',
    ]);
    await row.getByText('public', { exact: true }).waitFor();
    await row.getByRole('cell', { name: '5', exact: true }).waitFor();
    await row.getByText('6.0 MB').waitFor();
    await row.getByRole('link', { name: BUCKET }).click();
    await page.getByRole('heading', { name: BUCKET }).waitFor();
  });

  it('deletes a file, then several sorted by size, then the bucket, each after a confirmation', async () => {
    await fileRow('hello.txt').getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete file' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await fileRow('hello.txt').waitFor();
    await fileRow('hello.txt').getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete file' }).click();
    await fileRow('hello.txt').waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Delete bucket' }).click();
    await page
      .getByRole('dialog', { name: 'Delete bucket' })
      .getByRole('button', { name: 'Delete bucket' })
      .click();
    await page.getByText('No buckets yet').waitFor();
    const buckets = (await fetch(`${s.apiUrl}/storage/buckets/`, {
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${adminToken}` },
    }).then((r) => r.json())) as unknown[];
    assert.equal(buckets.length, 0);
  });

  it('shows a bucket made elsewhere live, and says so when it is deleted elsewhere', async () => {
    await page.getByText('● Live').waitFor();
    const made = await api(s.apiUrl, 'POST', '/storage/buckets/', adminToken, {
      name: 'made-elsewhere',
      public: true,
    });
    const row = page.getByTestId('bucket-row').filter({ hasText: 'made-elsewhere' });
    await row.getByText('public', { exact: true }).waitFor();
    await row.getByRole('link', { name: 'made-elsewhere' }).click();
    await page.getByRole('heading', { name: 'made-elsewhere' }).waitFor();
    await page.getByText('● Live').waitFor();
    const gone = await fetch(`${s.apiUrl}/storage/buckets/${String(made.id)}`, {
      method: 'DELETE',
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${adminToken}` },
    });
    assert.equal(gone.status, 204);
    await page.getByText('This bucket was deleted').waitFor();
  });

  it('lets a USER make a bucket and upload to it, without the admins-only live topics', async () => {
    await api(s.apiUrl, 'POST', '/users/', undefined, {
      email: 'uma@example.com',
      password: 'UmaPass12345',
      firstName: 'Uma',
      lastName: 'User',
    });
    const userContext = await s.browser.newContext();
    const userPage = await userContext.newPage();
    userPage.setDefaultTimeout(30_000);
    const userErrors = collectPageErrors(userPage);
    await signIn(userPage, s.url, 'uma@example.com', 'UmaPass12345');
    await userPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Storage' }).click();
    await userPage.getByRole('button', { name: 'Create bucket' }).click();
    const dialog = userPage.getByRole('dialog', { name: 'Create bucket' });
    await dialog.getByLabel('Name').fill('uma-files');
    await dialog.getByRole('button', { name: 'Create bucket' }).click();
    await userPage.getByRole('heading', { name: 'uma-files' }).waitFor();
    await userPage.getByLabel('Upload files').setInputFiles({
      name: 'mine.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('mine'),
    });
    await userPage.getByTestId('file-row').filter({ hasText: 'mine.txt' }).waitFor();
    assert.equal(await userPage.getByText('● Live').count(), 0);
    assert.equal(await userPage.getByText(/Live updates stopped/).count(), 0);
    assert.deepEqual(userErrors, []);
    await userContext.close();
  });

  it('logged no console errors (besides the dropped chunk)', () => {
    const unexpected = errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
