// The resumable path of an upload, loaded on first use (keeps the tus client out of the page's chunk). The upload's
// id is remembered per file (bucket, name, size, last change), so picking the same file again after a reload or a
// failure goes on where the server stands instead of starting over.
import { type Client, deleteResumableUpload, SelfDBError, uploadResumable } from '@selfdb/sdk';
import { UPLOAD_CHUNK_SIZE, uploadContentType } from './storage.ts';

const KEY_PREFIX = 'selfdb.upload:';

function rememberKey(bucketId: string, file: File): string {
  return `${KEY_PREFIX}${bucketId}:${file.size}:${file.lastModified}:${file.name}`;
}

export interface ResumableProgress {
  onProgress(sent: number, total: number): void;
  onRetry(message: string): void;
  signal: AbortSignal;
}

export async function uploadBig(client: Client, bucketId: string, file: File, events: ResumableProgress) {
  const key = rememberKey(bucketId, file);
  const saved = localStorage.getItem(key) ?? undefined;
  const run = (uploadId: string | undefined) =>
    uploadResumable({
      client,
      file,
      bucketId,
      filename: file.name,
      contentType: uploadContentType(file),
      chunkSize: UPLOAD_CHUNK_SIZE,
      uploadId,
      signal: events.signal,
      onCreated: (id) => localStorage.setItem(key, id),
      onProgress: events.onProgress,
      onRetry: (error) =>
        events.onRetry(error.status === 0 ? 'Connection lost: resuming…' : `${error.detail}: resuming…`),
    });
  // Stopped or failed, the id stays remembered: the same file picked again goes on from where it stood.
  const result = await run(saved).catch((err: unknown) => {
    // The remembered upload expired or was finished meanwhile: start a new one.
    if (saved && err instanceof SelfDBError && (err.status === 404 || err.status === 410)) {
      localStorage.removeItem(key);
      return run(undefined);
    }
    throw err;
  });
  localStorage.removeItem(key);
  return result;
}

/** The user gave up on this file: its partial upload is deleted on the server and forgotten here. */
export async function abandonUpload(client: Client, bucketId: string, file: File): Promise<void> {
  const key = rememberKey(bucketId, file);
  const id = localStorage.getItem(key);
  localStorage.removeItem(key);
  if (id) await deleteResumableUpload(client, id).catch(() => undefined);
}
