import type { FunctionsConfig } from '../config.ts';
import type { BackendAnswer, BackendCall, BackendCaller } from './sandbox.ts';

/** Request headers a function may not set on its backend call (the connection's own, and the ones we set). */
const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'transfer-encoding',
  'content-length',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'x-api-key',
  'x-execution-id',
  'x-delivery-id',
  'x-forwarded-for',
  'x-real-ip',
]);
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-encoding',
  'content-length',
]);
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * `context.callBackend(path, init)` as 0.0.5 defines it, performed by the service (the sandbox has no loopback
 * access): BACKEND_URL + path, with `x-api-key`, `x-execution-id` and `x-delivery-id` set. Only paths on the
 * backend are reachable (no other origin, no redirects followed), bodies are capped both ways.
 */
export function createBackendCaller(
  config: Pick<FunctionsConfig, 'backendUrl' | 'apiKey' | 'limits'>,
): BackendCaller {
  const base = new URL(config.backendUrl);
  return async function callBackend(call: BackendCall, run, signal): Promise<BackendAnswer> {
    if (!call.path.startsWith('/') || call.path.startsWith('//') || call.path.includes('\\')) {
      return { error: 'the path must be an absolute path on the backend, e.g. "/tables/"' };
    }
    const url = new URL(base.pathname.replace(/\/$/, '') + call.path, base);
    if (url.origin !== base.origin) return { error: 'the path must stay on the backend' };
    const method = call.method.toUpperCase();
    if (!METHODS.has(method)) return { error: `unsupported method ${call.method}` };
    const headers = new Headers();
    for (const [key, value] of Object.entries(call.headers)) {
      if (DROPPED_REQUEST_HEADERS.has(key.toLowerCase()) || key.toLowerCase().startsWith('proxy-')) continue;
      try {
        headers.set(key, value);
      } catch {
        // an invalid header is left out
      }
    }
    if (config.apiKey) headers.set('x-api-key', config.apiKey);
    headers.set('x-execution-id', run.executionId);
    if (run.deliveryId) headers.set('x-delivery-id', run.deliveryId);
    const body =
      call.bodyBase64 && method !== 'GET' && method !== 'HEAD'
        ? Buffer.from(call.bodyBase64, 'base64')
        : undefined;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, redirect: 'manual', signal });
    } catch (err) {
      if (signal.aborted) return { error: 'the run is over' };
      return { error: `backend unreachable (${(err as Error).message})` };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength;
          if (size > config.limits.maxBodyBytes) {
            return { error: `the backend's response exceeds the ${config.limits.maxBodyBytes} byte limit` };
          }
          chunks.push(Buffer.from(chunk));
        }
      }
    } catch (err) {
      return { error: `reading the backend's response failed (${(err as Error).message})` };
    }
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      if (!DROPPED_RESPONSE_HEADERS.has(key)) responseHeaders[key] = value;
    });
    return {
      status: response.status,
      headers: responseHeaders,
      bodyBase64: size > 0 ? Buffer.concat(chunks).toString('base64') : null,
    };
  };
}
