import type { FastifyReply, FastifyRequest } from 'fastify';
import { currentUser } from '../../plugins/auth.ts';
import type { StorageUploadsRoute } from './context.ts';
import { tusServerFor } from './tus-server.ts';

/**
 * tus 1.0 resumable uploads: POST /storage/uploads creates one (Upload-Length, Upload-Metadata with bucket_id,
 * filename, path, content_type), HEAD /storage/uploads/{id} reports its offset, PATCH /storage/uploads/{id} appends
 * at that offset, DELETE /storage/uploads/{id} abandons it. Signed-in users only; answered by @tus/server
 * (documented in docs/compatibility.md, not in the OpenAPI document, whose request/response model cannot describe
 * the protocol's headers).
 */
const resumableUpload: StorageUploadsRoute = (app, ctx) => {
  const handler = async function handleResumableUpload(request: FastifyRequest, reply: FastifyReply) {
    reply.hijack();
    try {
      await tusServerFor(ctx, currentUser(request), request.log).handle(request.raw, reply.raw);
    } catch (err) {
      request.log.error({ err }, 'resumable upload handler failed');
      reply.raw.destroy();
    }
  };
  const common = { schema: { hide: true }, preHandler: ctx.auth.requireUser, handler };
  app.route({ method: 'POST', url: '/storage/uploads', ...common });
  app.route({ method: ['HEAD', 'PATCH', 'DELETE'], url: '/storage/uploads/:id', ...common });
};

export default resumableUpload;
