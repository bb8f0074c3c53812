// The end-to-end set-up of the dashboard: a real backend, realtime and storage service on a fresh database (as the
// backend suites start them), the built dashboard served by its own server with /api proxied, and Debian's
// Chromium driven by playwright-core (never a downloaded browser).
import type { AddressInfo } from 'node:net';
import { storageServiceKey } from '@selfdb/common';
import { type Browser, chromium, type ConsoleMessage, type Page } from 'playwright-core';
import { ADMIN, API_KEY, SECRET_KEY } from '../../backend/test/helpers.ts';
import { startBackendWithRealtime, type TestBackendWithRealtime } from '../../realtime/test/helpers.ts';
import { DASHBOARD_DIST, ensureDashboardBuilt } from '../../scripts/lib/dashboard.ts';
import { startStorage, type TestStorage } from '../../storage/test/helpers.ts';
import { createDashboardServer } from '../server/app.ts';

export { ADMIN, API_KEY };

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface DashboardStack {
  stack: TestBackendWithRealtime;
  storage: TestStorage;
  /** The dashboard's origin (`http://127.0.0.1:<port>`); the API is under `/api`. */
  url: string;
  /** The backend's own URL, for calls the test makes "from elsewhere". */
  apiUrl: string;
  browser: Browser;
  close(): Promise<void>;
}

/** `options.backend`: more backend environment (e.g. BACKUPS_DIR for a test that writes backups). */
export async function startDashboardStack(
  options: { backend?: Record<string, string> } = {},
): Promise<DashboardStack> {
  ensureDashboardBuilt();
  const storage = await startStorage(storageServiceKey(SECRET_KEY));
  const storagePort = await storage.listen();
  const stack = await startBackendWithRealtime({
    backend: { STORAGE_HOST: '127.0.0.1', STORAGE_INTERNAL_PORT: String(storagePort), ...options.backend },
  });
  const apiUrl = `http://127.0.0.1:${stack.backendPort}`;
  const server = createDashboardServer({
    host: '127.0.0.1',
    port: 0,
    root: DASHBOARD_DIST,
    apiUrl: '/api',
    apiKey: API_KEY,
    backendUrl: new URL(apiUrl),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root (CI containers) needs --no-sandbox; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  return {
    stack,
    storage,
    url,
    apiUrl,
    browser,
    async close() {
      await browser.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stack.close();
      await storage.close();
    },
  };
}

/** Errors the page logged or threw; a test asserts there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  return errors;
}

/** Signs in through the form and waits for the dashboard. */
export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

/** A JSON call to the backend directly (not through the dashboard), as another client would make it. */
export async function api(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      'x-api-key': API_KEY,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}
