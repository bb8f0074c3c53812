// Configuration of the dashboard's static server (server.ts), read once from the environment.
// Only the config helpers of common (its index would bundle pg and jose into this small server).
import { ConfigError, createEnvReader, freeze } from '../../common/src/config.ts';

export interface DashboardServerConfig {
  host: string;
  port: number;
  /** The built app (index.html and assets/). */
  root: string;
  /** Served as /config.json: the API URL the browser calls and the API key. */
  apiUrl: string;
  apiKey: string;
  /** Where /api/* goes, prefix stripped (HTTP and WebSocket upgrades); null: not proxied (Caddy does it). */
  backendUrl: URL | null;
}

/** Reads FRONTEND_HOST, FRONTEND_PORT, API_KEY, FRONTEND_API_URL and FRONTEND_BACKEND_URL. */
export function loadDashboardConfig(env: NodeJS.ProcessEnv, root: string): DashboardServerConfig {
  const read = createEnvReader(env);
  const backend = read.string('FRONTEND_BACKEND_URL', 'http://127.0.0.1:8000');
  let backendUrl: URL | null = null;
  if (backend !== 'none') {
    try {
      backendUrl = new URL(backend);
    } catch {
      throw new ConfigError(`FRONTEND_BACKEND_URL must be an http:// URL or "none", got "${backend}"`);
    }
    if (backendUrl.protocol !== 'http:') {
      throw new ConfigError(`FRONTEND_BACKEND_URL must be an http:// URL or "none", got "${backend}"`);
    }
  }
  const apiUrl = read.string('FRONTEND_API_URL', '/api');
  if (!apiUrl.startsWith('/') && !/^https?:\/\//.test(apiUrl)) {
    throw new ConfigError(`FRONTEND_API_URL must be a path (/api) or an http(s):// URL, got "${apiUrl}"`);
  }
  return freeze({
    host: read.string('FRONTEND_HOST', '127.0.0.1'),
    port: read.int('FRONTEND_PORT', 3000, { min: 0, max: 65535 }),
    root,
    apiUrl,
    apiKey: read.string('API_KEY'),
    backendUrl,
  });
}
