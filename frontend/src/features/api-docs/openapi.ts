// Reads this install's OpenAPI document (/openapi.json) into what the API Docs page lists: operations grouped by
// tag, with their parameters, body and responses, and the fields of the schemas they name. Only what the page needs;
// anything unexpected in the document is skipped, never thrown on.

export interface OpenApiDocument {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown> };
}

export interface ParameterDoc {
  name: string;
  in: string;
  required: boolean;
  type: string;
  description: string;
}

export interface ResponseDoc {
  status: string;
  description: string;
  type: string | null;
}

export interface OperationDoc {
  /** A stable key: `GET /tables/{table_id}`. */
  key: string;
  method: string;
  path: string;
  operationId: string;
  summary: string;
  description: string;
  /** Needs a user's bearer token (besides the API key). */
  bearer: boolean;
  /** Needs the X-API-Key header. */
  apiKey: boolean;
  parameters: ParameterDoc[];
  body: { contentType: string; type: string; required: boolean } | null;
  responses: ResponseDoc[];
}

export interface TagDoc {
  tag: string;
  operations: OperationDoc[];
}

export interface FieldDoc {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
const API_KEY_HEADER = 'x-api-key';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** A schema as a short type: `SqlSnippetRead` for a reference, `string (uuid)`, `integer[]`, `a | b`. */
export function typeOf(schema: unknown): string {
  if (!isObject(schema)) return 'any';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? schema.$ref;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) return [...new Set(options.map(typeOf))].join(' | ');
  }
  if (Array.isArray(schema.allOf)) return schema.allOf.map(typeOf).join(' & ');
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const types = Array.isArray(schema.type)
    ? schema.type.map(String)
    : schema.type
      ? [String(schema.type)]
      : [];
  const shown = types.map((type) => {
    if (type === 'array') return `${typeOf(schema.items)}[]`;
    if (typeof schema.format === 'string' && type === 'string') return `string (${schema.format})`;
    return type;
  });
  return shown.length ? shown.join(' | ') : 'any';
}

function firstContent(content: unknown): { contentType: string; schema: unknown } | null {
  if (!isObject(content)) return null;
  const [contentType, media] = Object.entries(content)[0] ?? [];
  if (!contentType) return null;
  return { contentType, schema: isObject(media) ? media.schema : undefined };
}

function readOperation(method: string, path: string, raw: Json): OperationDoc {
  const rawParameters = Array.isArray(raw.parameters) ? raw.parameters.filter(isObject) : [];
  const apiKey = rawParameters.some(
    (p) => p.in === 'header' && text(p.name).toLowerCase() === API_KEY_HEADER,
  );
  const parameters = rawParameters
    .filter((p) => !(p.in === 'header' && text(p.name).toLowerCase() === API_KEY_HEADER))
    .map((p) => ({
      name: text(p.name),
      in: text(p.in),
      required: p.required === true,
      type: typeOf(p.schema),
      description: text(p.description),
    }));
  const body = isObject(raw.requestBody) ? firstContent(raw.requestBody.content) : null;
  const responses = Object.entries(isObject(raw.responses) ? raw.responses : {})
    .filter(([, r]) => isObject(r))
    .map(([status, r]) => {
      const content = firstContent((r as Json).content);
      return {
        status,
        description: text((r as Json).description),
        type: content ? typeOf(content.schema) : null,
      };
    })
    .sort((a, b) => a.status.localeCompare(b.status));
  const security = Array.isArray(raw.security) ? raw.security.filter(isObject) : [];
  return {
    key: `${method.toUpperCase()} ${path}`,
    method: method.toUpperCase(),
    path,
    operationId: text(raw.operationId),
    summary: text(raw.summary),
    description: text(raw.description),
    bearer: security.some((s) => 'HTTPBearer' in s),
    apiKey,
    parameters,
    body: body
      ? {
          contentType: body.contentType,
          type: typeOf(body.schema),
          required: isObject(raw.requestBody) && raw.requestBody.required === true,
        }
      : null,
    responses,
  };
}

/** Every operation, grouped by its first tag (tags in name order, "other" last), in path then method order. */
export function operationsByTag(document: OpenApiDocument): TagDoc[] {
  const tags = new Map<string, OperationDoc[]>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const raw = item[method];
      if (!isObject(raw)) continue;
      const tag = Array.isArray(raw.tags) && typeof raw.tags[0] === 'string' ? raw.tags[0] : 'other';
      const list = tags.get(tag) ?? [];
      list.push(readOperation(method, path, raw));
      tags.set(tag, list);
    }
  }
  return [...tags.entries()]
    .sort(([a], [b]) => (a === 'other' ? 1 : b === 'other' ? -1 : a.localeCompare(b)))
    .map(([tag, operations]) => ({
      tag,
      operations: operations.sort(
        (a, b) =>
          a.path.localeCompare(b.path) ||
          METHODS.indexOf(a.method.toLowerCase()) - METHODS.indexOf(b.method.toLowerCase()),
      ),
    }));
}

/** The operations whose method, path, summary, operation id or tag contain the search (case-insensitive). */
export function filterOperations(tags: TagDoc[], search: string): TagDoc[] {
  const term = search.trim().toLowerCase();
  if (!term) return tags;
  return tags
    .map(({ tag, operations }) => ({
      tag,
      operations: tag.toLowerCase().includes(term)
        ? operations
        : operations.filter((op) =>
            [op.key, op.summary, op.operationId].some((value) => value.toLowerCase().includes(term)),
          ),
    }))
    .filter((group) => group.operations.length > 0);
}

/** The fields of a named component schema (the body or response of an operation), or null when it has none. */
export function schemaFields(document: OpenApiDocument, name: string): FieldDoc[] | null {
  const schema = document.components?.schemas?.[name];
  if (!isObject(schema) || !isObject(schema.properties)) return null;
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  return Object.entries(schema.properties).map(([field, property]) => ({
    name: field,
    type: typeOf(property),
    required: required.has(field),
    description: isObject(property) ? text(property.description) : '',
  }));
}

/** A JSON body to start from: the named schema's required fields with empty values ("", 0, false, [], {}, null). */
export function exampleBody(document: OpenApiDocument, name: string): string {
  const fields = schemaFields(document, name);
  if (!fields) return '{}';
  const empty = (type: string): unknown => {
    const first = type.split(' | ')[0] ?? '';
    if (first.endsWith('[]')) return [];
    if (first.startsWith('string')) return '';
    if (first === 'integer' || first === 'number') return 0;
    if (first === 'boolean') return false;
    if (first === 'null') return null;
    return {};
  };
  const body = Object.fromEntries(fields.filter((f) => f.required).map((f) => [f.name, empty(f.type)]));
  return JSON.stringify(body, null, 2);
}
