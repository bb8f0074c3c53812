// Security headers and CORS, as a browser sees them: every response (2xx, 4xx, 5xx, 404s, downloads, tus, the
// docs) carries the security headers, and a dashboard on a listed origin can preflight and call every operation of
// the OpenAPI document, tus uploads included, while any other origin gets no CORS header at all.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { STRICT_CSP } from '@selfdb/common';
import { request } from 'undici';
import { CORS_ALLOWED_HEADERS } from '../src/plugins/cors.ts';
import { DOCS_CSP } from '../src/plugins/security-headers.ts';
import { ADMIN, API_KEY, call, login, startTestApp } from './helpers.ts';
import { createBucket, download, type StorageStack, startStorageStack, upload } from './storage-helpers.ts';

const DASHBOARD = 'http://dashboard.example.com';
/** Listed with a trailing slash in CORS_ORIGINS; browsers send origins without one. */
const VITE = 'http://localhost:5173';
const FOREIGN = [
  'http://evil.example.com',
  'http://dashboard.example.com.evil.com',
  'null',
  'https://dashboard.example.com',
];

let s: StorageStack;
let token: string;
let bucketId: string;
let fileId: string;

type Headers = Record<string, string | string[] | number | undefined>;
type OpenApi = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string }[];
        requestBody?: unknown;
        security?: Record<string, unknown>[];
      }
    >
  >;
};

const lower = (value: unknown) => String(value ?? '').toLowerCase();
const listOf = (value: unknown) =>
  lower(value)
    .split(/\s*,\s*/)
    .filter(Boolean);

function assertSecurityHeaders(headers: Headers, label: string, csp = STRICT_CSP) {
  assert.equal(headers['x-content-type-options'], 'nosniff', label);
  assert.equal(headers['x-frame-options'], 'DENY', label);
  assert.equal(headers['referrer-policy'], 'no-referrer', label);
  assert.equal(headers['content-security-policy'], csp, label);
}

function assertNoCors(headers: Headers, label: string) {
  const cors = Object.keys(headers).filter((name) => name.startsWith('access-control-allow-'));
  assert.deepEqual(cors, [], `${label}: ${cors.join(', ')}`);
}

const preflight = (url: string, origin: string, method: string, requestHeaders: string[]) =>
  s.t.app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin,
      'access-control-request-method': method,
      ...(requestHeaders.length ? { 'access-control-request-headers': requestHeaders.join(',') } : {}),
    },
  });

before(async () => {
  s = await startStorageStack({ CORS_ORIGINS: `${DASHBOARD}, ${VITE}/` });
  token = (await login(s.t.app, ADMIN.email, ADMIN.password)).access_token;
  bucketId = await createBucket(s.t.app, token, 'headers-bucket');
  const uploaded = await upload(s.t.app, bucketId, 'page.html', '<script>alert(1)</script>', {
    token,
    contentType: 'text/html',
  });
  assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
  fileId = String(uploaded.body.file_id);
});
after(() => s.close());

describe('CORS', () => {
  test('a listed origin may preflight every operation of the OpenAPI document, with the headers it uses', async () => {
    const document = (await call(s.t.app, 'GET', '/openapi.json', { apiKey: null }))
      .body as unknown as OpenApi;
    let checked = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const headers = (operation.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
        if (operation.security?.some((scheme) => 'HTTPBearer' in scheme)) headers.push('Authorization');
        if (operation.requestBody) headers.push('Content-Type');
        if (path.includes('/download/') || path.startsWith('/storage/signed/')) {
          headers.push('Range', 'If-None-Match', 'If-Range');
        }
        // Every header an operation documents must be one the preflight allows.
        for (const name of headers) {
          assert.ok(
            CORS_ALLOWED_HEADERS.some((allowed) => lower(allowed) === lower(name)),
            `${name} (${path})`,
          );
        }
        const url = path.replace(/\{[^}]+\}/g, '00000000-0000-0000-0000-000000000000');
        for (const origin of [DASHBOARD, VITE]) {
          const response = await preflight(url, origin, method.toUpperCase(), headers);
          const label = `${method.toUpperCase()} ${path} from ${origin}`;
          assert.equal(response.statusCode, 204, label);
          assert.equal(response.headers['access-control-allow-origin'], origin, label);
          assert.equal(response.headers['access-control-allow-credentials'], 'true', label);
          assert.ok(listOf(response.headers['access-control-allow-methods']).includes(method), label);
          const allowed = listOf(response.headers['access-control-allow-headers']);
          for (const name of headers) assert.ok(allowed.includes(lower(name)), `${label}: ${name}`);
          assert.match(String(response.headers.vary), /Origin/, label);
          assertSecurityHeaders(response.headers, label);
          checked++;
        }
      }
    }
    assert.ok(checked > 100, `checked ${checked} preflights`);
  });

  test('tus: every method with every tus header preflights from a listed origin, without the API key', async () => {
    const tusHeaders = [
      'Authorization',
      'X-API-Key',
      'Content-Type',
      'Tus-Resumable',
      'Upload-Length',
      'Upload-Offset',
      'Upload-Metadata',
      'Upload-Defer-Length',
      'Upload-Concat',
      'X-HTTP-Method-Override',
      'X-Requested-With',
    ];
    for (const [url, methods] of [
      ['/storage/uploads', ['POST']],
      ['/storage/uploads/0123456789abcdef0123', ['HEAD', 'PATCH', 'DELETE', 'PUT']],
    ] as const) {
      for (const method of methods) {
        const response = await preflight(url, DASHBOARD, method, tusHeaders);
        assert.equal(response.statusCode, 204, `${method} ${url}`);
        assert.equal(response.headers['access-control-allow-origin'], DASHBOARD);
        assert.ok(listOf(response.headers['access-control-allow-methods']).includes(lower(method)));
        const allowed = listOf(response.headers['access-control-allow-headers']);
        for (const name of tusHeaders) assert.ok(allowed.includes(lower(name)), name);
      }
    }
  });

  test('any other origin gets no CORS header: its preflight is refused with 403, its requests carry none', async () => {
    for (const origin of FOREIGN) {
      const refused = await preflight('/users/me', origin, 'GET', ['X-API-Key', 'Authorization']);
      assert.equal(refused.statusCode, 403, origin);
      assert.deepEqual(refused.json(), {
        detail: 'This origin is not allowed to call the API: add it to CORS_ORIGINS',
        code: 'CORS_ORIGIN_NOT_ALLOWED',
      });
      assertNoCors(refused.headers, `preflight from ${origin}`);
      assert.equal(refused.headers['access-control-expose-headers'], undefined);
      assertSecurityHeaders(refused.headers, origin);
      const tusPreflight = await preflight('/storage/uploads', origin, 'POST', ['Tus-Resumable']);
      assert.equal(tusPreflight.statusCode, 403, origin);
      assertNoCors(tusPreflight.headers, `tus preflight from ${origin}`);
      for (const [method, url] of [
        ['GET', '/system/status'],
        ['GET', '/nope'],
        ['GET', '/users/me'],
      ] as const) {
        const response = await call(s.t.app, method, url, { token, headers: { origin } });
        assertNoCors(response.headers, `${method} ${url} from ${origin}`);
        assert.equal(response.headers['access-control-expose-headers'], undefined);
      }
    }
    // Same-origin and non-browser requests send no Origin: they need no CORS header either.
    assertNoCors((await call(s.t.app, 'GET', '/system/status')).headers, 'no origin');
  });

  test('responses to a listed origin carry the allow and expose headers, on 2xx and 4xx alike', async () => {
    const cases: [string, string, { apiKey?: string | null; token?: string }, number][] = [
      ['GET', '/users/me', { token }, 200],
      ['GET', '/users/me', {}, 401],
      ['GET', '/users/me', { apiKey: null }, 406],
      ['GET', '/users/me', { apiKey: 'wrong' }, 401],
      ['GET', '/nope', {}, 404],
      ['GET', '/users/?limit=-1', { token }, 422],
    ];
    for (const [method, url, options, status] of cases) {
      const response = await call(s.t.app, method, url, { ...options, headers: { origin: DASHBOARD } });
      assert.equal(response.status, status, `${method} ${url}`);
      assert.equal(response.headers['access-control-allow-origin'], DASHBOARD, `${method} ${url}`);
      assert.equal(response.headers['access-control-allow-credentials'], 'true');
      const exposed = listOf(response.headers['access-control-expose-headers']);
      for (const name of [
        'content-range',
        'etag',
        'location',
        'content-disposition',
        'upload-offset',
        'retry-after',
        'x-selfdb-truncated',
      ]) {
        assert.ok(exposed.includes(name), `${name} exposed on ${method} ${url}`);
      }
    }
  });

  test('a tus upload from a listed origin can be created, resumed and read by the browser (real HTTP)', async () => {
    const base = { 'x-api-key': API_KEY, authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' };
    const metadata = `bucket_id ${Buffer.from(bucketId).toString('base64')},filename ${Buffer.from('tus.txt').toString('base64')}`;
    const created = await request(`${s.url}/storage/uploads`, {
      method: 'POST',
      headers: { ...base, origin: DASHBOARD, 'upload-length': '5', 'upload-metadata': metadata },
    });
    await created.body.dump();
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers['access-control-allow-origin'], DASHBOARD);
    assert.equal(created.headers['access-control-allow-credentials'], 'true');
    const exposed = listOf(created.headers['access-control-expose-headers']);
    for (const name of ['location', 'upload-offset', 'upload-length', 'tus-resumable', 'x-selfdb-file-id']) {
      assert.ok(exposed.includes(name), name);
    }
    assertSecurityHeaders(created.headers, 'tus POST');
    const uploadUrl = new URL(String(created.headers.location), `${s.url}/storage/uploads`).toString();
    const head = await request(uploadUrl, { method: 'HEAD', headers: { ...base, origin: VITE } });
    await head.body.dump();
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['access-control-allow-origin'], VITE);
    assertSecurityHeaders(head.headers, 'tus HEAD');
    const patched = await request(uploadUrl, {
      method: 'PATCH',
      headers: {
        ...base,
        origin: DASHBOARD,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: 'hello',
    });
    await patched.body.dump();
    assert.equal(patched.statusCode, 204);
    assert.equal(patched.headers['access-control-allow-origin'], DASHBOARD);
    assert.ok(patched.headers['x-selfdb-file-id']);
    assertSecurityHeaders(patched.headers, 'tus PATCH');
    // A tus error (no Tus-Resumable) from another origin: the security headers, and no origin allowed.
    const foreign = await request(`${s.url}/storage/uploads`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${token}`, origin: FOREIGN[0]! },
    });
    await foreign.body.dump();
    assert.equal(foreign.statusCode, 412);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    assertSecurityHeaders(foreign.headers, 'tus 412');
  });
});

describe('security headers', () => {
  test('on JSON answers of every kind: 2xx, 4xx of each source, 404s, preflights, health and the document', async () => {
    const cases: [string, string, Parameters<typeof call>[3], number][] = [
      ['GET', '/health', { apiKey: null }, 200],
      ['GET', '/openapi.json', { apiKey: null }, 200],
      ['GET', '/system/status', {}, 200],
      ['POST', '/storage/buckets/', { token, body: { name: 'headers-created' } }, 201],
      ['GET', '/users/me', { apiKey: null }, 406],
      ['GET', '/users/me', { apiKey: 'wrong' }, 401],
      ['GET', '/users/me', {}, 401],
      ['GET', '/users/00000000-0000-0000-0000-000000000000', { token }, 404],
      ['GET', '/nope/at/all', {}, 404],
      ['DELETE', '/health', { apiKey: null }, 405],
      ['POST', '/users/', { body: { email: 'not-an-email' } }, 422],
      ['GET', '/users/?bogus=1', { token }, 400],
      ['POST', '/users/token', { body: '{"email":', headers: { 'content-type': 'application/json' } }, 422],
      [
        'POST',
        '/users/token',
        { body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
      ],
      [
        'POST',
        '/sql/query',
        {
          token,
          body: `${'['.repeat(4500)}${']'.repeat(4500)}`,
          headers: { 'content-type': 'application/json' },
        },
        400,
      ],
      ['GET', '/users/%E0%A4%A', {}, 400],
    ];
    for (const [method, url, options, status] of cases) {
      const response = await call(s.t.app, method, url, options);
      assert.equal(response.status, status, `${method} ${url}: ${JSON.stringify(response.body)}`);
      assertSecurityHeaders(response.headers, `${method} ${url}`);
      if (status >= 400) assert.equal(typeof response.body.code, 'string', `${method} ${url}`);
    }
  });

  test('on file downloads: 200, 206, 304, HEAD, signed URLs and their refusals', async () => {
    const url = '/storage/files/download/headers-bucket/page.html';
    const full = await download(s.t.app, url, { token });
    assert.equal(full.status, 200);
    assertSecurityHeaders(full.headers, 'download');
    assert.match(String(full.headers['content-disposition']), /^attachment/);
    const part = await download(s.t.app, url, { token, headers: { range: 'bytes=0-3' } });
    assert.equal(part.status, 206);
    assertSecurityHeaders(part.headers, 'range');
    const cached = await download(s.t.app, url, {
      token,
      headers: { 'if-none-match': String(full.headers.etag) },
    });
    assert.equal(cached.status, 304);
    assertSecurityHeaders(cached.headers, '304');
    const head = await download(s.t.app, url, { token, method: 'HEAD' });
    assert.equal(head.status, 200);
    assertSecurityHeaders(head.headers, 'HEAD');
    const unsatisfiable = await download(s.t.app, url, { token, headers: { range: 'bytes=999-' } });
    assert.equal(unsatisfiable.status, 416);
    assertSecurityHeaders(unsatisfiable.headers, '416');
    const signed = await call(s.t.app, 'POST', `/storage/files/${fileId}/signed-url`, { token, body: {} });
    const signedUrl = String(signed.body.url);
    const viaSignature = await download(s.t.app, signedUrl, { apiKey: null, headers: { origin: DASHBOARD } });
    assert.equal(viaSignature.status, 200);
    assertSecurityHeaders(viaSignature.headers, 'signed');
    assert.equal(viaSignature.headers['access-control-allow-origin'], DASHBOARD);
    const tampered = await download(s.t.app, signedUrl.replace(/signature=./, 'signature=x'), {
      apiKey: null,
    });
    assert.equal(tampered.status, 403);
    assertSecurityHeaders(tampered.headers, 'tampered signature');
  });

  test('/docs has its own CSP, and everything the Swagger UI loads is same-origin and of the right type', async () => {
    const page = await s.t.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(page.statusCode, 200);
    assertSecurityHeaders(page.headers, '/docs', DOCS_CSP);
    const html = page.body;
    // No inline script or handler: `script-src 'self'` allows only files from this origin.
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    assert.ok(scripts.length >= 3);
    for (const attributes of scripts) assert.match(attributes, /\bsrc="/);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
    const assets = [
      ...[...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => [m[1]!, /javascript/] as const),
      ...[...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map(
        (m) => [m[1]!, /^text\/css/] as const,
      ),
      ...[...html.matchAll(/<link[^>]*rel="icon"[^>]*href="([^"]+)"/g)].map(
        (m) => [m[1]!, /^image\//] as const,
      ),
    ];
    assert.ok(assets.length >= 6, `found ${assets.length} assets`);
    for (const [src, type] of assets) {
      const url = new URL(src, 'http://self.example/docs');
      assert.equal(url.origin, 'http://self.example', `${src} is not same-origin`);
      const asset = await s.t.app.inject({ method: 'GET', url: url.pathname });
      assert.equal(asset.statusCode, 200, src);
      // With nosniff a browser runs a script or applies a stylesheet only when its type says so.
      assert.match(String(asset.headers['content-type']), type, src);
      assertSecurityHeaders(asset.headers, src, DOCS_CSP);
    }
    // The initializer fetches the document from ./json on this origin (connect-src 'self'), no validator badge.
    const initializer = await s.t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.match(initializer.body, /resolveUrl\('\.\/json'\)/);
    assert.match(initializer.body, /validatorUrl: null/);
    const json = await s.t.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(json.statusCode, 200);
    assert.equal(json.json().openapi, '3.1.0');
    // "Try it out" resolves the server against the document's URL: the API's root, also behind a prefix.
    assert.deepEqual(json.json().servers, [{ url: '..' }]);
    assert.equal(new URL('..', 'https://self.example/api/docs/json').href, 'https://self.example/api/');
  });

  test('on a 5xx: the storage service is down', async () => {
    await s.storage.stop();
    const response = await download(s.t.app, '/storage/files/download/headers-bucket/page.html', {
      token,
      headers: { origin: DASHBOARD },
    });
    assert.equal(response.status, 503);
    assertSecurityHeaders(response.headers, '503');
    assert.equal(response.headers['access-control-allow-origin'], DASHBOARD);
  });

  test('on a request the HTTP parser refuses, answered with the error body (real socket)', async () => {
    const port = new URL(s.url).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => {
        socket.write('GET /health HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const headers = Object.fromEntries(
      answer
        .split('\r\n\r\n')[0]!
        .split('\r\n')
        .slice(1)
        .map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
    );
    assertSecurityHeaders(headers, 'client error');
    assert.deepEqual(JSON.parse(answer.split('\r\n\r\n')[1]!), {
      detail: 'Bad Request',
      code: 'BAD_REQUEST',
    });
  });
});

test('CORS_ORIGINS=*: any origin may call, but never with credentials', async () => {
  const t = await startTestApp({ CORS_ORIGINS: '*' });
  try {
    const response = await t.app.inject({
      method: 'OPTIONS',
      url: '/users/me',
      headers: { origin: 'http://anywhere.example.com', 'access-control-request-method': 'GET' },
    });
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], 'http://anywhere.example.com');
    assert.equal(response.headers['access-control-allow-credentials'], undefined);
  } finally {
    await t.close();
  }
});
