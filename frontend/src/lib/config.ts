// Runtime configuration: served next to the app as /config.json (the native server writes it from .env; Caddy or
// any static server can serve a file), so one build serves every install. Nothing here is baked in at build time.

export interface RuntimeConfig {
  /** Absolute base URL of the API: `/api` of this origin by default (the server strips the prefix). */
  apiUrl: string;
  /** The instance's API key (public by design: every browser client sends it; access needs a user's token). */
  apiKey: string;
}

/** Reads /config.json; `apiUrl` may be relative to the page (the default is `/api`). Throws a readable message. */
export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  let response: Response;
  try {
    response = await fetch('/config.json', { cache: 'no-store' });
  } catch (err) {
    throw new Error(`Could not load /config.json: ${(err as Error).message}`);
  }
  if (!response.ok) throw new Error(`Could not load /config.json: HTTP ${response.status}`);
  const raw = (await response.json()) as { apiUrl?: unknown; apiKey?: unknown };
  if (typeof raw.apiKey !== 'string' || raw.apiKey === '') {
    throw new Error('/config.json has no apiKey: set API_KEY in .env and restart the dashboard server.');
  }
  const apiUrl = typeof raw.apiUrl === 'string' && raw.apiUrl !== '' ? raw.apiUrl : '/api';
  return { apiUrl: new URL(apiUrl, window.location.href).toString().replace(/\/+$/, ''), apiKey: raw.apiKey };
}
