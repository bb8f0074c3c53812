import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Download, DownloadConditions } from '../../modules/storage/downloads.service.ts';
import { OPTIONAL_BEARER, type StorageRoute } from './context.ts';
import { documentObjectPath } from './openapi-paths.ts';
import { ObjectParams, STORAGE_ERRORS } from './schemas.ts';

type DownloadRequest = FastifyRequest<{ Params: ObjectParams }>;

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);

/** The request headers a download honours: Range, If-Range, If-None-Match. */
export function conditionsOf(request: FastifyRequest): DownloadConditions {
  return {
    range: single(request.headers.range),
    ifRange: single(request.headers['if-range']),
    ifNoneMatch: single(request.headers['if-none-match']),
  };
}

/** Answers with a download: status (200, 206, 304), headers, and the bytes streamed from the storage service. */
export function sendDownload(reply: FastifyReply, download: Download) {
  reply.code(download.status).headers(download.headers);
  return reply.send(download.body ?? undefined);
}

/** The 200 response of a byte route: the file itself, streamed, with the Content-Type it was stored with. */
export const FILE_BYTES = {
  description:
    'The file, streamed; 206 with Content-Range for a Range request, 304 when If-None-Match matches',
  content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
};

/** The other answers of a byte route: part of the file for a Range request, nothing when the ETag matches. */
export const FILE_PARTS = {
  206: {
    description: 'Partial Content: the requested byte range (Content-Range tells which)',
    content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
  },
  304: { description: 'Not Modified: If-None-Match names the current ETag', type: 'null' },
};

/**
 * GET (and HEAD) /storage/files/download/{bucket_name}/{path}: streams a file the caller may read, with
 * Content-Type, Content-Disposition, ETag (its SHA-256), Range (206, 416) and If-None-Match (304).
 */
const downloadFile: StorageRoute = (app, ctx) => {
  const handler = async function handleSingle(request: DownloadRequest, reply: FastifyReply) {
    const method = request.method === 'HEAD' ? 'HEAD' : 'GET';
    const { bucket_name, '*': path } = request.params;
    return sendDownload(
      reply,
      await ctx.downloads.download(request.user, bucket_name, path, method, conditionsOf(request)),
    );
  };
  const options = {
    schema: {
      operationId: 'downloadFile',
      summary: 'Download a file',
      tags: ['storage-files'],
      security: OPTIONAL_BEARER,
      params: ObjectParams,
      response: { 200: FILE_BYTES, ...FILE_PARTS, 416: STORAGE_ERRORS[416] },
    },
    config: { swaggerTransform: documentObjectPath({ apiKey: true }) },
    preHandler: ctx.auth.optionalUser,
  };
  app.get<{ Params: ObjectParams }>(
    '/storage/files/download/:bucket_name/*',
    { ...options, exposeHeadRoute: false },
    handler,
  );
  app.head<{ Params: ObjectParams }>('/storage/files/download/:bucket_name/*', options, handler);
};

export default downloadFile;
