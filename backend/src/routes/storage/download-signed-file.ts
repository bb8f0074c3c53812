import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StorageRoute } from './context.ts';
import { conditionsOf, FILE_BYTES, FILE_PARTS, sendDownload } from './download-file.ts';
import { documentObjectPath } from './openapi-paths.ts';
import { ObjectParams, SignedQuery, STORAGE_ERRORS } from './schemas.ts';

type SignedRequest = FastifyRequest<{ Params: ObjectParams; Querystring: SignedQuery }>;

/**
 * GET (and HEAD) /storage/signed/{bucket_name}/{path}?expires=&signature=: a download through a signed URL. Needs
 * neither a token nor the API key; expired → 403 SIGNED_URL_EXPIRED, anything else wrong → 403
 * SIGNED_URL_INVALID.
 */
const downloadSignedFile: StorageRoute = (app, ctx) => {
  const handler = async function handleDownloadSignedFile(request: SignedRequest, reply: FastifyReply) {
    const method = request.method === 'HEAD' ? 'HEAD' : 'GET';
    const { bucket_name, '*': path } = request.params;
    const { expires, signature } = request.query;
    return sendDownload(
      reply,
      await ctx.downloads.downloadSigned(
        bucket_name,
        path,
        expires,
        signature,
        method,
        conditionsOf(request),
      ),
    );
  };
  const options = {
    schema: {
      operationId: 'downloadSignedFile',
      summary: 'Download a file through a signed URL',
      tags: ['storage-files'],
      params: ObjectParams,
      querystring: SignedQuery,
      response: { 200: FILE_BYTES, ...FILE_PARTS, 416: STORAGE_ERRORS[416] },
    },
    config: { swaggerTransform: documentObjectPath({ apiKey: false }) },
  };
  type Route = { Params: ObjectParams; Querystring: SignedQuery };
  app.get<Route>('/storage/signed/:bucket_name/*', { ...options, exposeHeadRoute: false }, handler);
  app.head<Route>('/storage/signed/:bucket_name/*', options, handler);
};

export default downloadSignedFile;
