// The pure logic of the Functions page: the starting template, env var rows, how triggers and statuses read, the
// webhook URL, test-invoke bodies, a generated secret and the logs of one execution.

/** The code a new function starts with: SelfDB's module contract (docs/functions.md), answering HTTP calls. */
export const FUNCTION_TEMPLATE = `// Runs on calls to /functions/<name>/invoke (see docs/functions.md for schedules, table changes, events).
export const triggers = [{ type: 'http', method: ['GET', 'POST'] }];

export default async function (request: Request, context: { env: Record<string, string> }) {
  const body = request.method === 'POST' ? await request.json().catch(() => ({})) : {};
  console.log('called with', JSON.stringify(body));
  return { message: \`Hello, \${body.name ?? 'world'}!\` };
}
`;

/** Function names the API accepts (0.0.5's rule). */
export const FUNCTION_NAME_PATTERN = '[a-zA-Z][a-zA-Z0-9_\\-]*';

export interface EnvRow {
  key: number;
  name: string;
  value: string;
}

let nextRowKey = 1;

export function envRow(name = '', value = ''): EnvRow {
  return { key: nextRowKey++, name, value };
}

/** The env var rows of a function's `env_vars` (sorted by name; values that are not strings as JSON). */
export function envRowsOf(envVars: Record<string, unknown> | null | undefined): EnvRow[] {
  return Object.keys(envVars ?? {})
    .sort()
    .map((name) => {
      const value = envVars![name];
      return envRow(name, typeof value === 'string' ? value : JSON.stringify(value));
    });
}

/**
 * The `env_vars` object of the rows: rows with neither name nor value are skipped; a value without a name and a
 * name given twice are refused with a readable message.
 */
export function envVarsOf(rows: readonly EnvRow[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const row of rows) {
    const name = row.name.trim();
    if (!name) {
      if (row.value === '') continue;
      throw new Error('Every environment variable needs a name.');
    }
    if (Object.hasOwn(env, name)) throw new Error(`The environment variable ${name} is given twice.`);
    // defineProperty: a name such as __proto__ is an own key like any other, not the object's prototype.
    Object.defineProperty(env, name, {
      value: row.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return env;
}

/** Whether two env_vars objects hold the same names and values. */
export function sameEnvVars(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

const asList = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];

/** One declared trigger as a short text: `HTTP GET, POST`, `Schedule 0 * * * *`, `Database orders (INSERT)`. */
export function describeTrigger(trigger: Record<string, unknown>): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  switch (trigger.type) {
    case 'http': {
      const methods = asList(trigger.method);
      return methods.length ? `HTTP ${methods.join(', ')}` : 'HTTP';
    }
    case 'schedule':
      return `Schedule ${text(trigger.cron)}`.trim();
    case 'database': {
      const operations = asList(trigger.operations);
      const table = text(trigger.table);
      return `Database ${table}${operations.length ? ` (${operations.join(', ')})` : ''}`.trim();
    }
    case 'event':
      return `Event ${text(trigger.event)}`.trim();
    case 'webhook':
      return 'Webhook';
    case 'once':
      return 'Once';
    default:
      return String(trigger.type ?? 'unknown');
  }
}

/** Whether the deployed version answers `/functions/{name}/invoke`. */
export function hasHttpTrigger(triggers: readonly Record<string, unknown>[]): boolean {
  return triggers.some((t) => t.type === 'http');
}

/** The methods the deployed HTTP triggers accept (absent: 0.0.5's five). */
export function httpMethods(triggers: readonly Record<string, unknown>[]): InvokeMethod[] {
  const found = new Set<string>();
  for (const trigger of triggers) {
    if (trigger.type !== 'http') continue;
    const methods = asList(trigger.method);
    for (const m of methods.length ? methods : INVOKE_METHODS) found.add(m.toUpperCase());
  }
  return INVOKE_METHODS.filter((m) => found.has(m));
}

export const INVOKE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type InvokeMethod = (typeof INVOKE_METHODS)[number];

export type Tone = 'zinc' | 'emerald' | 'amber' | 'red';

/** The badge colour of a deployment, execution or delivery status. */
export function statusTone(status: string | null | undefined): Tone {
  switch (status) {
    case 'deployed':
    case 'completed':
      return 'emerald';
    case 'pending':
    case 'running':
    case 'queued':
    case 'executing':
    case 'retry_pending':
      return 'amber';
    case 'failed':
    case 'timeout':
      return 'red';
    default:
      return 'zinc';
  }
}

/** The public URL an outside service calls for a webhook (`apiUrl` is the dashboard's absolute API base). */
export function webhookUrl(apiUrl: string, token: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/webhooks/trigger/${encodeURIComponent(token)}`;
}

/** The HTTP invoke URL of a function, for the copyable `curl` line. */
export function invokeUrl(apiUrl: string, name: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/functions/${encodeURIComponent(name)}/invoke`;
}

/**
 * The body a test invocation sends: nothing for GET/DELETE or an empty box; otherwise the text, which must be
 * JSON (it is sent as application/json).
 */
export function invokeBody(method: InvokeMethod, text: string): string | undefined {
  if (method === 'GET' || method === 'DELETE' || text.trim() === '') return undefined;
  try {
    JSON.parse(text);
  } catch (err) {
    throw new Error(`The body is not JSON: ${(err as Error).message}`);
  }
  return text;
}

/** A function's answer as the page shows it: JSON pretty-printed, anything else as the text it is. */
export function formatBody(body: unknown): string {
  if (body === undefined || body === null || body === '') return '';
  if (typeof body === 'string') {
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      return body;
    }
  }
  return JSON.stringify(body, null, 2);
}

/** A run's duration as text. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A fresh webhook secret: 32 random bytes, hex (the admin may type their provider's own instead). */
export function generateSecret(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)) {
  const bytes = random(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Deliveries that may be run again (those still in flight and those whose signature failed cannot). */
export function canRetryDelivery(delivery: { status: string; signature_valid: boolean | null }): boolean {
  if (delivery.signature_valid === false) return false;
  return !['queued', 'executing', 'retry_pending'].includes(delivery.status);
}

export interface LogLine {
  id: string;
  execution_id: string;
  log_level: string;
  message: string;
  timestamp: string;
}

/**
 * The log lines of one execution, oldest first. The API lists a function's logs newest first (no filter by
 * execution), so pages are read until one reaches lines older than the run's start, or `maxPages` were read.
 */
export async function logsOfExecution(
  execution: { id: string; started_at: string },
  fetchPage: (offset: number, limit: number) => Promise<{ logs: LogLine[]; total: number }>,
  pageSize = 500,
  maxPages = 10,
): Promise<{ lines: LogLine[]; complete: boolean }> {
  const started = Date.parse(execution.started_at);
  const lines: LogLine[] = [];
  for (let page = 0; page < maxPages; page++) {
    const { logs, total } = await fetchPage(page * pageSize, pageSize);
    for (const line of logs) if (line.execution_id === execution.id) lines.push(line);
    const last = logs.at(-1);
    const done =
      logs.length < pageSize ||
      (page + 1) * pageSize >= total ||
      (last !== undefined && Date.parse(last.timestamp) < started);
    if (done) return { lines: lines.reverse(), complete: true };
  }
  return { lines: lines.reverse(), complete: false };
}
