import type { IncomingMessage } from 'node:http';
import { Busboy, type BusboyFileStream, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import { type AppError, type ByteMeter, ERRORS, preview } from '@selfdb/common';

/** Transfer encodings that leave the part's bytes as they are (RFC 7578 deprecates the others). */
const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

/** Whether a request's Content-Type is a form upload (`curl -F file=@x`). */
export function isMultipartForm(contentType: string | undefined): boolean {
  return /^multipart\/form-data(\s*;|$)/i.test(contentType ?? '');
}

/** The one file part of a multipart/form-data upload, its bytes not yet read. */
export interface FilePart {
  /** The filename the part gives (its last path segment), or undefined when it gives none. */
  filename: string | undefined;
  /** The part's Content-Type without parameters (`text/plain` when the part has none, as RFC 7578 says). */
  contentType: string;
  /**
   * Streams the part's bytes into `meter`, and ends it only once the whole form has been read and found to hold
   * nothing else: a later file or field, a malformed or cut-short form fails `meter` instead, so the storage
   * service never commits the file.
   */
  pipeTo(meter: ByteMeter): void;
  /** Stops reading the form (the upload was refused before its bytes were wanted). */
  discard(): void;
}

/**
 * Reads a multipart/form-data request up to its file part, never buffering it: resolves when the part's headers
 * have arrived. The form must hold exactly one file part and no other field (parameters go in the query string);
 * anything else fails with 400 MULTIPART_INVALID, before the file when it comes first, else by failing the upload.
 */
export function readFilePart(request: IncomingMessage): Promise<FilePart> {
  return new Promise((resolve, reject) => {
    let form: BusboyInstance;
    try {
      form = Busboy({
        headers: request.headers as BusboyHeaders,
        limits: { files: 1, fields: 16, fieldSize: 1024, parts: 16, headerPairs: 32 },
      });
    } catch (err) {
      reject(ERRORS.multipartInvalid(`Malformed multipart/form-data request: ${(err as Error).message}`));
      return;
    }
    let file: BusboyFileStream | null = null;
    let meter: ByteMeter | null = null;
    let failure: AppError | null = null;
    let fileEnded = false;
    let formEnded = false;

    const stop = () => {
      request.unpipe(form);
      // Bytes still buffered in the part are dropped; the request is not read further (the reply closes it).
      file?.unpipe();
      file?.resume();
    };
    const fail = (error: AppError) => {
      if (failure) return;
      failure = error;
      stop();
      if (file) meter?.destroy(error);
      else reject(error);
    };
    const finishIfDone = () => {
      if (fileEnded && formEnded && !failure) meter?.end();
    };

    form.on('file', (_name, stream, filename, encoding, mimeType) => {
      stream.on('error', (err: Error) =>
        fail(ERRORS.multipartInvalid(`Malformed multipart/form-data body: ${err.message}`)),
      );
      if (!IDENTITY_ENCODINGS.has(encoding.toLowerCase())) {
        stream.resume();
        fail(
          ERRORS.multipartInvalid(
            `The file part's Content-Transfer-Encoding ${preview(encoding)} is not supported`,
          ),
        );
        return;
      }
      file = stream;
      stream.on('end', () => {
        fileEnded = true;
        finishIfDone();
      });
      resolve({
        filename: filename || undefined,
        contentType: mimeType,
        pipeTo(into) {
          meter = into;
          if (failure) into.destroy(failure);
          else stream.pipe(into, { end: false });
        },
        discard: () => fail(ERRORS.multipartInvalid('The upload was refused')),
      });
    });
    form.on('field', (name: string) =>
      fail(
        ERRORS.multipartInvalid(
          `The form field ${preview(name)} is not a file: send one file part (curl -F file=@path) and pass bucket_id, filename, path and content_type as query parameters`,
        ),
      ),
    );
    form.on('filesLimit', () =>
      fail(ERRORS.multipartInvalid('The form has more than one file part: send exactly one file per upload')),
    );
    form.on('partsLimit', () =>
      fail(ERRORS.multipartInvalid('The form has too many parts: send exactly one file part')),
    );
    form.on('fieldsLimit', () =>
      fail(ERRORS.multipartInvalid('The form has too many fields: send exactly one file part')),
    );
    form.on('error', (err: Error) =>
      fail(ERRORS.multipartInvalid(`Malformed multipart/form-data body: ${err.message}`)),
    );
    form.on('finish', () => {
      formEnded = true;
      if (!file)
        fail(
          ERRORS.multipartInvalid(
            'The form has no file part: send the file as a file part (curl -F file=@path)',
          ),
        );
      else finishIfDone();
    });
    request.on('error', () => fail(ERRORS.clientClosedEarly()));
    request.on('close', () => {
      if (!request.readableEnded) fail(ERRORS.clientClosedEarly());
    });
    request.pipe(form);
  });
}
