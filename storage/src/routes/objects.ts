import {
  AppError,
  contentRange,
  drainAfterResponse,
  ErrorCode,
  noneMatch,
  parseRange,
  type RangeRequest,
  rangeStillValid,
} from '@selfdb/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IfExists, ObjectStore } from '../backends/types.ts';
import { StoredObjectSchema } from './schemas.ts';

type ObjectRequest = FastifyRequest<{
  Params: { bucket: string; '*': string };
  Querystring: { if_exists?: IfExists };
}>;

const ObjectParams = {
  type: 'object',
  properties: { bucket: { type: 'string', maxLength: 63 }, '*': { type: 'string' } },
  required: ['bucket', '*'],
} as const;
const PutQuery = {
  type: 'object',
  properties: { if_exists: { type: 'string', enum: ['fail', 'rename'], default: 'fail' } },
} as const;

function optionalSize(value: string | string[] | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(number)) {
    throw AppError.badRequest(`Invalid ${name} header`);
  }
  return number;
}

function optionalSha256(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) {
    throw AppError.badRequest('Invalid X-Content-SHA256 header: 64 hex digits expected');
  }
  return value.toLowerCase();
}

/** Objects: streamed in (temp file, verified, linked into place) and out (Range, ETag), never held in memory. */
export async function objectRoutes(app: FastifyInstance, { store }: { store: ObjectStore }) {
  // Bodies are the object's bytes whatever their Content-Type: hand the raw stream to the handler unread.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  async function put(request: ObjectRequest, reply: FastifyReply) {
    const maxBytes = optionalSize(request.headers['x-max-bytes'], 'X-Max-Bytes');
    const expectedSize = optionalSize(request.headers['content-length'], 'Content-Length');
    const expectedSha256 = optionalSha256(request.headers['x-content-sha256']);
    if (maxBytes !== undefined && expectedSize !== undefined && expectedSize > maxBytes) {
      drainAfterResponse(request.raw, reply.raw);
      throw new AppError(413, ErrorCode.FILE_TOO_LARGE, `File too large: the limit is ${maxBytes} bytes`);
    }
    try {
      const stored = await store.putObject(request.params.bucket, request.params['*'], request.raw, {
        ifExists: request.query.if_exists ?? 'fail',
        maxBytes,
        expectedSize,
        expectedSha256,
      });
      return reply.code(201).send(stored);
    } catch (err) {
      // The rest of the body will not be used: drop it after the error response (not a reset connection).
      drainAfterResponse(request.raw, reply.raw);
      throw err;
    }
  }
  const putSchema = { params: ObjectParams, querystring: PutQuery, response: { 201: StoredObjectSchema } };
  app.put('/api/v1/files/:bucket/*', { schema: putSchema }, put);
  app.post('/api/v1/files/:bucket/*', { schema: putSchema }, put);

  async function read(request: ObjectRequest, reply: FastifyReply) {
    const object = await store.openObject(request.params.bucket, request.params['*']);
    if (!object) throw AppError.notFound('File not found');
    const { size, etag, modified } = object.info;
    let range: RangeRequest = parseRange(request.headers.range, size);
    if (range.kind !== 'whole' && !rangeStillValid(request.headers['if-range'], etag))
      range = { kind: 'whole' };
    reply.headers({
      etag,
      'last-modified': modified.toUTCString(),
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    });
    if (noneMatch(request.headers['if-none-match'], etag)) {
      await object.close();
      return reply.code(304).send();
    }
    if (range.kind === 'unsatisfiable') {
      await object.close();
      throw new AppError(416, ErrorCode.RANGE_NOT_SATISFIABLE, 'Range not satisfiable', {
        'content-range': `bytes */${size}`,
      });
    }
    if (range.kind === 'partial') {
      reply.code(206).header('content-range', contentRange(range.range, size));
      reply.header('content-length', String(range.range.end - range.range.start + 1));
    } else {
      reply.header('content-length', String(size));
    }
    if (request.method === 'HEAD') {
      await object.close();
      return reply.send();
    }
    return reply.send(object.stream(range.kind === 'partial' ? range.range : undefined));
  }
  app.get('/api/v1/files/:bucket/*', { schema: { params: ObjectParams }, exposeHeadRoute: false }, read);
  app.head('/api/v1/files/:bucket/*', { schema: { params: ObjectParams } }, read);

  app.delete<{ Params: { bucket: string; '*': string } }>(
    '/api/v1/files/:bucket/*',
    { schema: { params: ObjectParams } },
    async function deleteObject(request, reply) {
      await store.deleteObject(request.params.bucket, request.params['*']);
      return reply.code(204).send();
    },
  );
}
