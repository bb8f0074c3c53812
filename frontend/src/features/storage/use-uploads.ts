import { type Client, unwrap, uploadFile } from '@selfdb/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { isResumable, uploadContentType } from './storage.ts';

export type UploadStatus = 'waiting' | 'uploading' | 'retrying' | 'done' | 'failed' | 'cancelled';

export interface UploadItem {
  key: number;
  name: string;
  size: number;
  sent: number;
  resumable: boolean;
  status: UploadStatus;
  /** What went wrong (the API's detail), or the retry in progress. */
  message: string | null;
  /** Where the file went (renamed when the path was taken). */
  path: string | null;
}

interface Job {
  key: number;
  file: File;
  controller: AbortController;
}

let nextKey = 1;

/**
 * The upload queue of one bucket: files go one after the other (small ones in a single request, big ones
 * resumably with progress); each shows its progress and outcome until dismissed. `onUploaded` runs after each
 * file that made it (to refresh the list). Retrying a failed big file goes on from where the server stands.
 */
export function useUploads(client: Client, bucketId: string, onUploaded: () => void) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const jobs = useRef(new Map<number, Job>());
  const queue = useRef<Promise<void>>(Promise.resolve());
  const uploaded = useRef(onUploaded);
  useEffect(() => {
    uploaded.current = onUploaded;
  }, [onUploaded]);

  const update = useCallback((key: number, patch: Partial<UploadItem>) => {
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...patch } : item)));
  }, []);

  const run = useCallback(
    async (job: Job) => {
      const { key, file, controller } = job;
      if (controller.signal.aborted) return;
      update(key, { status: 'uploading', message: null, sent: 0 });
      try {
        let path: string | null;
        if (isResumable(file.size)) {
          const { uploadBig } = await import('./resumable-upload.ts');
          const result = await uploadBig(client, bucketId, file, {
            signal: controller.signal,
            onProgress: (sent) => update(key, { sent, status: 'uploading', message: null }),
            onRetry: (message) => update(key, { status: 'retrying', message }),
          });
          path = result.path;
        } else {
          const result = unwrap(
            await uploadFile({
              client,
              query: { bucket_id: bucketId, filename: file.name, content_type: uploadContentType(file) },
              body: file,
              signal: controller.signal,
            }),
          );
          path = result.path;
        }
        jobs.current.delete(key);
        update(key, { status: 'done', sent: file.size, path, message: null });
        uploaded.current();
      } catch (err) {
        // Cancelled (already shown) or the page was left: nothing to report.
        if (!controller.signal.aborted) update(key, { status: 'failed', message: errorMessage(err) });
      }
    },
    [client, bucketId, update],
  );

  const enqueue = useCallback(
    (job: Job) => {
      queue.current = queue.current.then(() => run(job));
    },
    [run],
  );

  const add = useCallback(
    (files: Iterable<File>) => {
      for (const file of files) {
        const job: Job = { key: nextKey++, file, controller: new AbortController() };
        jobs.current.set(job.key, job);
        setItems((current) => [
          ...current,
          {
            key: job.key,
            name: file.name,
            size: file.size,
            sent: 0,
            resumable: isResumable(file.size),
            status: 'waiting',
            message: null,
            path: null,
          },
        ]);
        enqueue(job);
      }
    },
    [enqueue],
  );

  const cancel = useCallback(
    (key: number) => {
      const job = jobs.current.get(key);
      if (!job) return;
      jobs.current.delete(key);
      job.controller.abort(new DOMException('Upload cancelled', 'AbortError'));
      update(key, { status: 'cancelled', message: null });
      // What the server holds of a big file is abandoned too (its bytes and the quota they count against).
      if (isResumable(job.file.size)) {
        void import('./resumable-upload.ts').then(({ abandonUpload }) =>
          abandonUpload(client, bucketId, job.file),
        );
      }
    },
    [client, bucketId, update],
  );

  const retry = useCallback(
    (key: number) => {
      const job = jobs.current.get(key);
      if (!job) return;
      update(key, { status: 'waiting', message: null });
      enqueue(job);
    },
    [enqueue, update],
  );

  const dismiss = useCallback((key: number) => {
    setItems((current) => current.filter((item) => item.key !== key));
  }, []);

  // Back online after the retries ran out: failed big files go on by themselves.
  const latest = useRef(items);
  useEffect(() => {
    latest.current = items;
  }, [items]);
  useEffect(() => {
    const onOnline = () => {
      for (const item of latest.current) {
        if (item.status === 'failed' && item.resumable) retry(item.key);
      }
    };
    window.addEventListener('online', onOnline);
    return () => window.removeEventListener('online', onOnline);
  }, [retry]);

  // Closing or reloading the tab while files are going up asks first.
  const busy = items.some(
    (item) => item.status === 'waiting' || item.status === 'uploading' || item.status === 'retrying',
  );
  useEffect(() => {
    if (!busy) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [busy]);

  // Leaving the page stops what is still running (a big file can be picked again later and resumes).
  useEffect(() => {
    const running = jobs.current;
    return () => {
      for (const job of running.values()) job.controller.abort(new DOMException('Page left', 'AbortError'));
    };
  }, []);

  return { items, add, cancel, retry, dismiss };
}
