import {
  AppError,
  assertWithinLimit,
  type ByteLimit,
  CONTENT_SHA256_HEADER,
  contentRange,
  drainAfterResponse,
  ErrorCode,
  ERRORS,
  noneMatch,
  parseContentSha256,
  parseRange,
  type RangeRequest,
  rangeStillValid,
} from '@selfdb/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ObjectStore } from '../backends/types.ts';
import { StoredObjectSchema } from './schemas.ts';

type ObjectRequest = FastifyRequest<{ Params: { bucket: string; '*': string } }>;

const ObjectParams = {
  type: 'object',
  properties: { bucket: { type: 'string', maxLength: 63 }, '*': { type: 'string' } },
  required: ['bucket', '*'],
} as const;

function optionalSize(value: string | string[] | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(number)) {
    throw AppError.badRequest(`Invalid ${name} header`);
  }
  return number;
}

/**
 * Objects: streamed in (temp file, verified, linked into place at exactly the path given, never over a file: 409
 * FILE_EXISTS) and out (Range, ETag), never held in memory. The caller decides the path and the limit.
 */
export async function objectRoutes(app: FastifyInstance, { store }: { store: ObjectStore }) {
  // Bodies are the object's bytes whatever their Content-Type: hand the raw stream to the handler unread.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  async function put(request: ObjectRequest, reply: FastifyReply) {
    const maxBytes = optionalSize(request.headers['x-max-bytes'], 'X-Max-Bytes');
    const limit: ByteLimit | null =
      maxBytes === undefined ? null : { bytes: maxBytes, tooLarge: () => ERRORS.fileTooLarge(maxBytes) };
    const expectedSize = optionalSize(request.headers['content-length'], 'Content-Length');
    const expectedSha256 = parseContentSha256(request.headers[CONTENT_SHA256_HEADER]);
    try {
      assertWithinLimit(expectedSize, limit);
      const stored = await store.putObject(request.params.bucket, request.params['*'], request.raw, {
        limit,
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
  const putSchema = { params: ObjectParams, response: { 201: StoredObjectSchema } };
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
