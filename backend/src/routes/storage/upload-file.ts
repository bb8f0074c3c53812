import { AppError, CONTENT_SHA256_HEADER, ErrorCode, parseContentSha256 } from '@selfdb/common';
import type { FastifyRequest } from 'fastify';
import { isMultipartForm, readFilePart } from '../../modules/storage/multipart.ts';
import { feedRawBody } from '../../modules/storage/request-body.ts';
import { MIME_TYPE_PATTERN } from '../../modules/storage/storage.dto.ts';
import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { StorageRoute } from './context.ts';
import { FileUploadResponse, STORAGE_ERRORS, UploadBody, UploadQuery } from './schemas.ts';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const mimeType = new RegExp(MIME_TYPE_PATTERN);

function declaredSize(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const size = Number(header);
  return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}

/** A raw body needs the `filename` query parameter: 422 as the schema would have answered (as SelfDB 0.0.5 does). */
const missingFilename = () =>
  Object.assign(new Error('Field required'), {
    validation: [
      { keyword: 'required', instancePath: '', params: { missingProperty: 'filename' }, message: '' },
    ],
    validationContext: 'querystring',
  });

/**
 * POST /storage/files/upload?bucket_id=&filename=&path=&content_type=: SelfDB 0.0.5's raw-body upload, and a
 * multipart/form-data form with exactly one file part (`curl -F file=@x`). A raw body of any other type is taken as
 * the file's bytes. A form's file part is streamed alone (never the envelope, never buffered); its filename and
 * Content-Type serve when the query gives none. A taken path becomes `name (1).ext`. An optional
 * `X-Content-SHA256` header makes the upload fail (400 CHECKSUM_MISMATCH) unless the file's bytes have that checksum.
 */
const uploadFile: StorageRoute = (app, ctx) => {
  app.post<{ Querystring: UploadQuery }>(
    '/storage/files/upload',
    {
      schema: {
        operationId: 'uploadFile',
        summary: 'Upload a file (raw body or multipart form)',
        description:
          'The file is either the raw request body (SelfDB 0.0.5: `filename` is then required; `content_type` defaults to `application/octet-stream`) or the one file part of a `multipart/form-data` body (`curl -F file=@photo.png`), whose filename and Content-Type are used when `filename` and `content_type` are not given. Bytes are streamed, never buffered. Limits: the bucket `file_size_limit` capped by the server maximum (413 FILE_TOO_LARGE), the per-user quota (413 STORAGE_QUOTA_EXCEEDED), the storage volume free-space reserve (507 INSUFFICIENT_STORAGE).',
        tags: ['storage-files'],
        security: [{ HTTPBearer: [] }],
        querystring: UploadQuery,
        body: UploadBody,
        response: {
          201: ref(FileUploadResponse),
          415: STORAGE_ERRORS[415],
          507: STORAGE_ERRORS[507],
        },
      },
      // The body is a stream the handler reads itself: only the query string is validated up front.
      validatorCompiler: (route) => {
        if (route.httpPart === 'body') return () => true;
        const compile = app.validatorCompiler;
        if (!compile) throw new Error('the app has no validator compiler');
        return compile(route);
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleUploadFile(request, reply) {
      const result = isMultipartForm(request.headers['content-type'])
        ? await uploadForm(request)
        : await uploadRaw(request);
      return reply.code(201).send(result);
    },
  );

  async function uploadRaw(request: FastifyRequest<{ Querystring: UploadQuery }>) {
    const { bucket_id, filename, path, content_type = DEFAULT_CONTENT_TYPE } = request.query;
    if (!filename) throw missingFilename();
    return ctx.uploads.upload(
      currentUser(request),
      {
        bucketId: bucket_id,
        filename,
        path,
        contentType: content_type,
        declaredSize: declaredSize(request.headers['content-length']),
      },
      (meter) => feedRawBody(request.raw, meter),
      parseContentSha256(request.headers[CONTENT_SHA256_HEADER]),
    );
  }

  async function uploadForm(request: FastifyRequest<{ Querystring: UploadQuery }>) {
    const checksum = parseContentSha256(request.headers[CONTENT_SHA256_HEADER]);
    const part = await readFilePart(request.raw);
    try {
      const filename = request.query.filename ?? part.filename;
      if (!filename) {
        throw new AppError(
          400,
          ErrorCode.MULTIPART_INVALID,
          'The file part has no filename: give it one (filename=...) or pass the filename query parameter',
        );
      }
      const contentType = request.query.content_type ?? part.contentType;
      if (!mimeType.test(contentType) || contentType.length > 100) {
        throw new AppError(
          400,
          ErrorCode.MULTIPART_INVALID,
          "The file part's Content-Type is not a MIME type: pass the content_type query parameter",
        );
      }
      const target = { bucketId: request.query.bucket_id, filename, path: request.query.path, contentType };
      return await ctx.uploads.upload(currentUser(request), target, (meter) => part.pipeTo(meter), checksum);
    } catch (err) {
      part.discard();
      throw err;
    }
  }
};

export default uploadFile;
