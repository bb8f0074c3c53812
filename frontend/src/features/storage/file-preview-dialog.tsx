// Loaded on first use (React.lazy): a preview of an image (an object URL of its bytes, fetched with the session) or
// of a text file (its first TEXT_PREVIEW_BYTES, shown as text: HTML and SVG are never rendered).
import { type BucketResponse, downloadFile, type FileResponse, unwrap } from '@selfdb/sdk';
import { useEffect, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Dialog } from '../../components/ui/dialog.tsx';
import { AsyncStatus, EmptyState } from '../../components/ui/states.tsx';
import { formatBytes } from '../../lib/format.ts';
import { useSelfDB } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { decodePreview, IMAGE_PREVIEW_MAX, imageType, previewKind, TEXT_PREVIEW_BYTES } from './storage.ts';

type Preview =
  { kind: 'text'; text: string; truncated: boolean } | { kind: 'image'; blob: Blob } | { kind: 'none' };

export default function FilePreviewDialog({
  file,
  bucket,
  onClose,
}: {
  file: FileResponse;
  bucket: BucketResponse;
  onClose(): void;
}) {
  const selfdb = useSelfDB();
  const kind = previewKind(file.mime_type, file.name);
  const preview = useAsync(async (): Promise<Preview> => {
    const path = { bucket_name: bucket.name, path: file.path };
    if (kind === 'text') {
      const bytes = unwrap(
        await downloadFile({
          client: selfdb.client,
          path,
          parseAs: 'arrayBuffer',
          // Only the beginning of a big file (206 Partial Content).
          headers:
            file.size > TEXT_PREVIEW_BYTES ? { Range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` } : undefined,
        }),
      ) as unknown as ArrayBuffer;
      return { kind: 'text', ...decodePreview(bytes, file.size) };
    }
    if (kind === 'image' && file.size <= IMAGE_PREVIEW_MAX) {
      const blob = unwrap(await downloadFile({ client: selfdb.client, path, parseAs: 'blob' })) as Blob;
      return { kind: 'image', blob: new Blob([blob], { type: imageType(file.mime_type, file.name) }) };
    }
    return { kind: 'none' };
  }, [selfdb, bucket.name, file.path]);

  return (
    <Dialog
      title={`Preview of ${file.name}`}
      onClose={onClose}
      wide
      footer={<Button onClick={onClose}>Close</Button>}
    >
      <AsyncStatus state={preview} />
      {preview.data?.kind === 'text' ? (
        <>
          <pre
            data-testid="text-preview"
            className="max-h-[60vh] overflow-auto whitespace-pre-wrap break-words rounded-md bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-950"
          >
            {preview.data.text}
          </pre>
          {preview.data.truncated ? (
            <p className="mt-2 text-xs text-zinc-500">
              The first {formatBytes(TEXT_PREVIEW_BYTES)} of {formatBytes(file.size)}: download the file for
              the rest.
            </p>
          ) : null}
        </>
      ) : null}
      {preview.data?.kind === 'image' ? <ImagePreview blob={preview.data.blob} name={file.name} /> : null}
      {preview.data?.kind === 'none' ? (
        <EmptyState title="No preview">
          {kind === 'image'
            ? `Images over ${formatBytes(IMAGE_PREVIEW_MAX)} are not previewed: download it.`
            : null}
        </EmptyState>
      ) : null}
    </Dialog>
  );
}

function ImagePreview({ blob, name }: { blob: Blob; name: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const objectUrl = URL.createObjectURL(blob);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [blob]);
  return url ? <img src={url} alt={name} className="mx-auto max-h-[60vh] max-w-full object-contain" /> : null;
}
