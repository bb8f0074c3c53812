// Contract fuzzer, generation half: turns the operations of an OpenAPI 3.1 document (SelfDB's /openapi.json) into
// concrete HTTP requests, valid ones built from the schemas (with fast-check arbitraries, deterministic by seed)
// and hostile variants of them. Knows nothing of any one operation: everything comes from the document, plus a
// pool of existing values per parameter name (ids of real rows, buckets, files...) that the test fills in.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: Json[];
  const?: Json;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  default?: Json;
  examples?: Json[] | Record<string, { value: Json }>;
}
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
  style?: string;
  explode?: boolean;
}
export interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }>; headers?: object }>;
  security?: Record<string, string[]>[];
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
}
export interface OperationRef {
  method: string;
  path: string;
  op: Operation;
  /** `METHOD /path`, how findings name the operation. */
  key: string;
}

/** One request as the fuzzer sends it; printed as is when it finds something. */
export interface FuzzRequest {
  method: string;
  /** Path and query, already encoded (hostile variants may hold raw `../`). */
  url: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** What the request is: `valid` or the name of the hostile variant. */
  variant: string;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operation of the document, in document order. */
export function operationsOf(document: OpenApiDocument): OperationRef[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        op,
        key: `${method.toUpperCase()} ${path}`,
      })),
  );
}

/** A schema with its `$ref` (to `#/components/schemas/X`) followed. */
export function deref(document: OpenApiDocument, schema: Schema | undefined): Schema {
  let current = schema ?? {};
  for (let hops = 0; current.$ref && hops < 20; hops++) {
    current = document.components.schemas[current.$ref.split('/').pop()!] ?? {};
  }
  return current;
}

/**
 * Keys a free-form object (additionalProperties: true) is given, with values of their kind: mostly the columns of the
 * fuzz tables, so that rows insert (hostile variants bring the strangers).
 */
const FREE_KEYS: Record<string, fc.Arbitrary<Json>> = {
  name: fc.string({ maxLength: 12 }),
  price: fc.integer({ min: -1000, max: 1000 }),
  meta: fc.oneof(fc.constant(null), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 })),
};

/**
 * A JSON Schema validator over the document's schemas (`#/components/schemas/X` resolved): null when `value` is
 * valid, else the errors as text.
 */
export function schemaValidator(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats.default(ajv);
  ajv.addFormat('binary', true);
  ajv.addSchema({ $id: 'openapi.json', components: document.components } as object);
  const cache = new Map<Schema, ReturnType<typeof ajv.compile>>();
  return (schema: Schema, value: unknown): string | null => {
    let validate = cache.get(schema);
    if (!validate) {
      const text = JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/');
      validate = ajv.compile(JSON.parse(text) as object);
      cache.set(schema, validate);
    }
    return validate(value) ? null : ajv.errorsText(validate.errors, { separator: '; ' });
  };
}

function uuidArbitrary() {
  return fc.uuid().map((value) => value.toLowerCase());
}

function stringArbitrary(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 24, Math.max(min, 24));
  switch (schema.format) {
    case 'uuid':
      return uuidArbitrary();
    case 'email':
      return fc
        .tuple(fc.stringMatching(/^[a-z][a-z0-9]{2,10}$/), fc.integer({ min: 0, max: 1e9 }))
        .map(([local, n]) => `${local}${n}@fuzz.example.com`);
    case 'date-time':
      return fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2099-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((date) => date.toISOString());
    case 'date':
      return fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2099-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((date) => date.toISOString().slice(0, 10));
    case 'binary':
      return fc.string({ minLength: 1, maxLength: 64 });
    case 'uri':
    case 'url':
    case 'uri-reference':
    case 'iri':
      // Only ever this machine (port 9, discard): a webhook target or callback must never reach another address.
      return fc.stringMatching(/^[a-z0-9]{0,12}$/).map((tail) => `http://127.0.0.1:9/${tail}`);
  }
  if (schema.pattern) {
    try {
      return fc
        .stringMatching(new RegExp(schema.pattern))
        .filter((value) => value.length >= min && value.length <= (schema.maxLength ?? Infinity));
    } catch {
      // A pattern JavaScript cannot read: plain strings below.
    }
  }
  return fc.string({ minLength: min, maxLength: max, unit: 'grapheme-ascii' });
}

/** A fast-check arbitrary of the values `schema` accepts (a useful subset of them, small). */
export function arbitraryOf(
  document: OpenApiDocument,
  raw: Schema | undefined,
  depth = 0,
): fc.Arbitrary<Json> {
  const schema = deref(document, raw);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((s) => arbitraryOf(document, s, depth + 1)));
  if (schema.allOf?.length) {
    const merged: Schema = { type: 'object', properties: {}, required: [] };
    for (const part of schema.allOf.map((s) => deref(document, s))) {
      Object.assign(merged.properties!, part.properties);
      merged.required!.push(...(part.required ?? []));
    }
    return arbitraryOf(document, merged, depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null')[0] : schema.type;
  switch (type) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer': {
      const min =
        schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000);
      const max =
        schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1000);
      return fc.oneof(fc.integer({ min, max: Math.min(max, min + 1000) }), fc.constantFrom(min, max));
    }
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1e6,
        max: schema.maximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, 3));
      return fc.array(arbitraryOf(document, schema.items, depth + 1), { minLength, maxLength });
    }
    case 'object':
    case undefined: {
      if (!schema.properties && type === undefined)
        return fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean());
      if (depth > 4) return fc.constant({});
      const properties = schema.properties ?? {};
      const record = fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([name, s]) => [name, arbitraryOf(document, s, depth + 1)]),
        ),
        { requiredKeys: (schema.required ?? []).filter((name) => name in properties) },
      );
      if (schema.additionalProperties === true || typeof schema.additionalProperties === 'object') {
        const extra =
          schema.additionalProperties === true
            ? fc.record(FREE_KEYS, { requiredKeys: [] })
            : fc.dictionary(
                fc.constantFrom(...Object.keys(FREE_KEYS)),
                arbitraryOf(document, schema.additionalProperties, depth + 1),
                { maxKeys: 3 },
              );
        return fc.tuple(record, extra).map(([named, free]) => ({ ...free, ...named }) as Json);
      }
      return record as fc.Arbitrary<Json>;
    }
  }
  return fc.constant(null);
}

/** `count` deterministic samples of a schema's values. */
export function samples(
  document: OpenApiDocument,
  schema: Schema | undefined,
  seed: number,
  count: number,
): Json[] {
  return fc.sample(arbitraryOf(document, schema), { seed, numRuns: count });
}

/** Body fields that hold a URL something may call (webhook targets, callbacks). */
const URL_FIELD = /(^|_)(url|uri|endpoint|callback|target|webhook)$/i;

/** Existing values per parameter (or body field) name, so that path and query parameters can hit real resources. */
export type Pools = Record<string, Json[]>;

export interface BuildContext {
  document: OpenApiDocument;
  pools: Pools;
  /** Headers of the role (API key, bearer token). */
  roleHeaders: Record<string, string>;
  rng: () => number;
  seed: number;
  /** schemaValidator(document). */
  validate: (schema: Schema, value: unknown) => string | null;
}

function pick<T>(rng: () => number, values: T[]): T {
  return values[Math.floor(rng() * values.length)]!;
}

/** A pooled value of `name` that `schema` accepts, most of the time (else undefined: generate one). */
function pooledValue(ctx: BuildContext, name: string, schema: Schema | undefined): Json | undefined {
  const candidates = (ctx.pools[name] ?? []).filter(
    (value) => !schema || ctx.validate(schema, value) === null,
  );
  // Mostly real values (the request reaches the handler), sometimes a generated one (404 paths).
  return candidates.length && ctx.rng() < 0.8 ? pick(ctx.rng, candidates) : undefined;
}

function valueFor(ctx: BuildContext, parameter: Parameter, index: number): Json | undefined {
  const pooled = pooledValue(ctx, parameter.name, parameter.schema);
  if (pooled !== undefined) return pooled;
  const [value] = samples(ctx.document, parameter.schema, ctx.seed + index, 1);
  // A form-exploded object (the data API's column filters): its keys are the parameters.
  if (parameter.style === 'form' && parameter.explode !== false && value && typeof value === 'object')
    return value;
  if (value === null || value === undefined) return parameter.required ? 'x' : undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // An empty path segment is another URL (another operation, or none): never a value of this one.
  return parameter.in === 'path' && text === '' ? 'x' : text;
}

/** Path (with `{name}` filled, each value percent-encoded) and query string of a request. */
function urlOf(path: string, pathValues: Record<string, string>, query: [string, string][]): string {
  const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = pathValues[name] ?? '';
    // A `{path}` parameter spans segments: keep its slashes.
    return name === 'path' ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value);
  });
  const search = new URLSearchParams(query).toString();
  return search ? `${filled}?${search}` : filled;
}

function multipart(fields: Record<string, Json>, schema: Schema): { body: Buffer; type: string } {
  const boundary = 'fuzzboundary7MA4YWxkTrZu0gW';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const binary = schema.properties?.[name]?.format === 'binary';
    const disposition = binary
      ? `form-data; name="${name}"; filename="fuzz.bin"\r\nContent-Type: application/octet-stream`
      : `form-data; name="${name}"`;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n${text}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/** The parts of a request before it is put together, so hostile variants can change one of them. */
export interface RequestParts {
  method: string;
  path: string;
  pathValues: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  contentType?: string;
  body?: Json | Buffer;
  bodySchema?: Schema;
}

/** A valid request of an operation: every required parameter, some optional ones, a body from its schema. */
export function validParts(ctx: BuildContext, operation: OperationRef, index: number): RequestParts {
  const parts: RequestParts = {
    method: operation.method,
    path: operation.path,
    pathValues: {},
    query: [],
    headers: { ...ctx.roleHeaders },
  };
  for (const [i, parameter] of (operation.op.parameters ?? []).entries()) {
    if (parameter.in === 'header' && parameter.name.toLowerCase() === 'x-api-key') continue; // the role's
    if (!parameter.required && ctx.rng() < 0.5) continue;
    const raw = valueFor(ctx, parameter, index * 100 + i);
    if (raw === undefined) continue;
    if (parameter.in === 'query' && raw && typeof raw === 'object' && !Array.isArray(raw)) {
      for (const [key, inner] of Object.entries(raw)) parts.query.push([key, String(inner)]);
      continue;
    }
    const value = typeof raw === 'string' ? raw : JSON.stringify(raw);
    if (parameter.in === 'path') parts.pathValues[parameter.name] = value;
    else if (parameter.in === 'query') parts.query.push([parameter.name, value]);
    else if (parameter.in === 'header') parts.headers[parameter.name.toLowerCase()] = value;
  }
  const requestBody = operation.op.requestBody;
  if (requestBody && (requestBody.required || ctx.rng() < 0.7)) {
    const [contentType, media] = pick(ctx.rng, Object.entries(requestBody.content));
    parts.contentType = contentType;
    parts.bodySchema = deref(ctx.document, media.schema);
    if (contentType === 'application/octet-stream' || parts.bodySchema.format === 'binary') {
      parts.body = Buffer.from(`fuzz bytes ${index}\n`);
    } else {
      const [value] = samples(ctx.document, media.schema, ctx.seed * 7 + index, 1);
      parts.body = value ?? {};
      // Body fields named like a pooled parameter (bucket_id...) get real values too.
      if (
        parts.body &&
        typeof parts.body === 'object' &&
        !Array.isArray(parts.body) &&
        !Buffer.isBuffer(parts.body)
      ) {
        const properties = parts.bodySchema.properties ?? {};
        for (const key of Object.keys(parts.body)) {
          const pooled = pooledValue(ctx, key, properties[key] && deref(ctx.document, properties[key]));
          if (pooled !== undefined) parts.body[key] = pooled;
          // A field that names a URL only ever gets this machine's discard port, whatever its schema says.
          if (URL_FIELD.test(key) && typeof parts.body[key] === 'string')
            parts.body[key] = `http://127.0.0.1:9/${index}`;
        }
      }
    }
  }
  return parts;
}

/** Puts the parts together as bytes on the wire. */
export function assemble(parts: RequestParts, variant: string): FuzzRequest {
  const headers = { ...parts.headers };
  let body: Buffer | string | undefined;
  if (parts.body !== undefined) {
    if (Buffer.isBuffer(parts.body)) body = parts.body;
    else if (parts.contentType?.startsWith('multipart/form-data')) {
      const form = multipart(
        (parts.body && typeof parts.body === 'object' && !Array.isArray(parts.body)
          ? parts.body
          : {}) as Record<string, Json>,
        parts.bodySchema ?? {},
      );
      body = form.body;
      headers['content-type'] ??= form.type;
    } else body = JSON.stringify(parts.body);
    if (parts.contentType && !headers['content-type']) headers['content-type'] = parts.contentType;
  }
  return {
    method: parts.method,
    url: urlOf(parts.path, parts.pathValues, parts.query),
    headers,
    ...(body === undefined ? {} : { body }),
    variant,
  };
}

/** Nested `depth` deep: `[[[...]]]` as JSON text (never built as an object, which would need recursion to print). */
function deepJson(depth: number, open = '[', close = ']'): string {
  return open.repeat(depth) + close.repeat(depth);
}
function deepObjectJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const LONG = 'A'.repeat(10_000);
const NASTY_STRINGS = [
  '\u0000',
  'nul\u0000inside',
  '\ud800',
  '💥🧨 ñ ü 漢字 \u202e',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '%00',
  '${jndi:x}',
  '\\u0000',
  ' ',
  '',
];
const PATH_TRICKS = [
  '..',
  '../..',
  '%2e%2e',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  'a/../../b',
  '.',
  '%2F',
  '\\..\\',
];
const WRONG_VALUES: Json[] = [123, -1, 1.5, true, null, [], {}, ['a'], 'not-a-number', LONG];

/** Names of the hostile variants, in the order the fuzzer cycles through them. */
export const HOSTILE_VARIANTS = [
  'wrong-type-field',
  'wrong-type-query',
  'long-string',
  'nasty-string',
  'nul-in-json',
  'deep-array',
  'deep-object',
  'deep-field',
  'path-trick',
  'long-path-param',
  'wrong-content-type',
  'malformed-json',
  'empty-body',
  'unknown-parameter',
  'no-api-key',
  'wrong-api-key',
  'bad-token',
  'json-array-body',
  'oversized-body',
  'conditional-headers',
] as const;
export type HostileVariant = (typeof HOSTILE_VARIANTS)[number];

/** JSON object text `base` with `"key": valueText` put first (the value is raw JSON text). */
function withField(base: string, key: string, valueText: string): string {
  const rest = base.trim().slice(1, -1).trim();
  return `{${JSON.stringify(key)}:${valueText}${rest ? `,${rest}` : ''}}`;
}

function objectBody(parts: RequestParts): Record<string, Json> | undefined {
  const body = parts.body;
  return body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body)
    ? (body as Record<string, Json>)
    : undefined;
}

/** Applies one hostile change to a valid request; the raw `url` is returned separately for path tricks. */
export function hostile(ctx: BuildContext, valid: RequestParts, variant: HostileVariant): FuzzRequest {
  const parts: RequestParts = structuredClone({ ...valid, body: undefined });
  parts.body = Buffer.isBuffer(valid.body) ? valid.body : structuredClone(valid.body);
  const fields = objectBody(parts);
  const fieldNames = Object.keys(parts.bodySchema?.properties ?? fields ?? {});
  const setField = (value: Json) => {
    const target = objectBody(parts);
    if (target) target[fieldNames.length ? pick(ctx.rng, fieldNames) : 'fuzz'] = value;
    else if (parts.query.length) parts.query[Math.floor(ctx.rng() * parts.query.length)]![1] = String(value);
    else parts.query.push(['fuzz', String(value)]);
  };
  const raw = (body: string, contentType = 'application/json'): FuzzRequest => ({
    ...assemble({ ...parts, body: undefined }, variant),
    headers: { ...parts.headers, 'content-type': contentType },
    body,
  });
  switch (variant) {
    case 'wrong-type-field':
      setField(pick(ctx.rng, WRONG_VALUES));
      break;
    case 'wrong-type-query': {
      const queryParameters = parts.query.length ? parts.query : null;
      if (queryParameters)
        queryParameters[Math.floor(ctx.rng() * queryParameters.length)]![1] = pick(ctx.rng, [
          'abc',
          '-1',
          '1e999',
          '[]',
          '{}',
          '99999999999999999999',
        ]);
      else setField(pick(ctx.rng, WRONG_VALUES));
      break;
    }
    case 'long-string':
      setField(LONG);
      break;
    case 'nasty-string':
      setField(pick(ctx.rng, NASTY_STRINGS));
      break;
    case 'nul-in-json': {
      // Escaped NUL and a lone surrogate in JSON text: valid JSON, not storable as Postgres text or jsonb.
      const base = fields ? JSON.stringify(fields) : '{}';
      const key = fieldNames.length ? pick(ctx.rng, fieldNames) : 'meta';
      return raw(
        withField(base, key, pick(ctx.rng, ['"a\\u0000b"', '{"k":"\\u0000"}', '"\\ud800"', '{"\\u0000":1}'])),
      );
    }
    case 'deep-array':
      return raw(deepJson(5000));
    case 'deep-object':
      return raw(deepObjectJson(5000));
    case 'deep-field': {
      const key = fieldNames.length ? pick(ctx.rng, fieldNames) : 'meta';
      const base = fields ? JSON.stringify(fields) : '{}';
      return raw(withField(base, key, deepObjectJson(5000)));
    }
    case 'path-trick': {
      const names = Object.keys(parts.pathValues);
      const trick = pick(ctx.rng, PATH_TRICKS);
      // An operation without path parameters: another path would be another operation, so a query value gets it.
      if (!names.length) {
        parts.query.push([parts.query[0]?.[0] ?? 'path', trick]);
        break;
      }
      const name = pick(ctx.rng, names);
      // Not encoded: the trick goes on the wire as written.
      const url = assemble({ ...parts, pathValues: { ...parts.pathValues, [name]: '\u0001' } }, variant).url;
      return { ...assemble(parts, variant), url: url.replace('%01', trick) };
    }
    case 'long-path-param': {
      const names = Object.keys(parts.pathValues);
      if (!names.length) parts.query.push(['q', 'B'.repeat(5000)]);
      else parts.pathValues[pick(ctx.rng, names)] = 'B'.repeat(pick(ctx.rng, [1001, 5000, 60_000]));
      break;
    }
    case 'wrong-content-type': {
      const body =
        parts.body === undefined
          ? '{}'
          : Buffer.isBuffer(parts.body)
            ? parts.body.toString()
            : JSON.stringify(parts.body);
      return raw(
        body,
        pick(ctx.rng, [
          'text/plain',
          'application/xml',
          'multipart/form-data',
          'application/json; charset=latin1',
          'application/x-www-form-urlencoded',
          'image/png',
        ]),
      );
    }
    case 'malformed-json':
      return raw(pick(ctx.rng, ['{', '{"a":', 'nul', '[1,]', '{"a":1}}', '\u0000', '"']));
    case 'empty-body':
      return raw('');
    case 'unknown-parameter':
      parts.query.push([
        pick(ctx.rng, ['fuzz', 'limit[]', '__proto__', 'constructor', 'select', 'order']),
        pick(ctx.rng, ['1', 'x', '../']),
      ]);
      break;
    case 'no-api-key':
      delete parts.headers['x-api-key'];
      break;
    case 'wrong-api-key':
      parts.headers['x-api-key'] = pick(ctx.rng, ['wrong', '', 'x'.repeat(5000)]);
      break;
    case 'bad-token':
      parts.headers.authorization = pick(ctx.rng, [
        'Bearer not.a.jwt',
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.',
        'Basic YTpi',
        'Bearer ',
        'Bearer ' + 'x'.repeat(9000),
      ]);
      break;
    case 'json-array-body':
      return raw(pick(ctx.rng, ['[]', '[{}]', '"text"', '1', 'null', 'true']));
    case 'oversized-body':
      // Over the 1 MiB body limit.
      return raw(`{"x":"${'A'.repeat(1_100_000)}"}`, parts.contentType ?? 'application/json');
    case 'conditional-headers':
      // Range and cache validators, as a browser or a download manager sends them.
      Object.assign(
        parts.headers,
        pick(ctx.rng, [
          { range: 'bytes=0-3' },
          { range: 'bytes=999999999-' },
          { range: 'bytes=5-2' },
          { range: 'items=0-1' },
          { range: 'bytes=0-1,3-4' },
          { 'if-none-match': '*' },
          { 'if-none-match': '"nope"' },
          { 'if-modified-since': 'Thu, 01 Jan 2099 00:00:00 GMT' },
        ]),
      );
      break;
  }
  return assemble(parts, variant);
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A request as a reader can replay it: method, URL, headers, body (cut at 300 characters). */
export function describeRequest(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : `\n  body: ${JSON.stringify(String(request.body).slice(0, 300))}${String(request.body).length > 300 ? ` (+${String(request.body).length - 300} chars)` : ''}`;
  const url =
    request.url.length > 160 ? `${request.url.slice(0, 160)}... (${request.url.length} chars)` : request.url;
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([k, v]) => [
      k,
      v.length > 80 ? `${v.slice(0, 80)}... (${v.length})` : v,
    ]),
  );
  return `${request.method} ${url} [${request.variant}]\n  headers: ${JSON.stringify(headers)}${body}`;
}
