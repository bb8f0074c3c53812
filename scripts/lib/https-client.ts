// HTTPS requests to a Caddy under test: every host name resolves to 127.0.0.1 (Caddy binds there only), the name
// still goes out as SNI and Host (Caddy picks the site by it), and certificates from Caddy's internal CA are
// accepted (tests only: rejectUnauthorized false).
import { request, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';

export const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if ((options as { all?: boolean }).all) {
    (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, [
      { address: '127.0.0.1', family: 4 },
    ]);
  } else callback(null, '127.0.0.1', 4);
};

export interface HttpsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request; `body` may be a stream (sent chunked, as a browser's streamed upload). */
export function fetchInsecure(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer | Readable } = {},
  timeoutMs = 30_000,
): Promise<HttpsResponse> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : request;
  return new Promise((done, fail) => {
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        lookup: loopbackLookup,
        rejectUnauthorized: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', fail);
    const body = options.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** Polls `url` until it answers `status` (Caddy takes a moment to issue its internal certificate). */
export async function waitForStatus(url: string, status = 200, timeoutMs = 60_000): Promise<HttpsResponse> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const response = await fetchInsecure(url, {}, 5_000);
      if (response.status === status) return response;
      last = `status ${response.status}: ${response.body.toString().slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (${last})`);
    await new Promise((wake) => setTimeout(wake, 250));
  }
}
