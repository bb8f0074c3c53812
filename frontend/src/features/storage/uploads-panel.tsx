import { Button } from '../../components/ui/button.tsx';
import { Badge } from '../../components/ui/states.tsx';
import { formatBytes } from '../../lib/format.ts';
import { uploadPercent } from './storage.ts';
import type { UploadItem } from './use-uploads.ts';

const STATUS_TEXT: Record<UploadItem['status'], string> = {
  waiting: 'Waiting',
  uploading: 'Uploading',
  retrying: 'Reconnecting',
  done: 'Uploaded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** Each upload of this visit: progress (bytes the server confirmed), outcome, and what can be done about it. */
export function UploadsPanel(props: {
  items: UploadItem[];
  onCancel(key: number): void;
  onRetry(key: number): void;
  onDismiss(key: number): void;
}) {
  if (props.items.length === 0) return null;
  return (
    <section aria-label="Uploads" className="mb-4 space-y-2">
      {props.items.map((item) => {
        const percent = uploadPercent(item.sent, item.size);
        const active = item.status === 'waiting' || item.status === 'uploading' || item.status === 'retrying';
        return (
          <div
            key={item.key}
            data-testid="upload-item"
            className="rounded-md border border-zinc-200 px-3 py-2 text-sm dark:border-zinc-800"
          >
            <div className="flex items-center justify-between gap-3">
              <span className="truncate font-medium">{item.name}</span>
              <span className="flex shrink-0 items-center gap-2 text-xs text-zinc-500">
                {item.resumable ? <Badge>resumable</Badge> : null}
                <span>
                  {formatBytes(Math.min(item.sent, item.size))} / {formatBytes(item.size)}
                </span>
                <Badge
                  tone={
                    item.status === 'done'
                      ? 'emerald'
                      : item.status === 'failed'
                        ? 'red'
                        : item.status === 'retrying'
                          ? 'amber'
                          : 'zinc'
                  }
                >
                  {STATUS_TEXT[item.status]}
                </Badge>
                {active ? (
                  <Button size="sm" variant="ghost" onClick={() => props.onCancel(item.key)}>
                    Cancel
                  </Button>
                ) : null}
                {item.status === 'failed' ? (
                  <>
                    <Button size="sm" onClick={() => props.onRetry(item.key)}>
                      {item.resumable ? 'Resume' : 'Retry'}
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => props.onCancel(item.key)}>
                      Cancel
                    </Button>
                  </>
                ) : null}
                {item.status === 'done' || item.status === 'cancelled' ? (
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Dismiss ${item.name}`}
                    onClick={() => props.onDismiss(item.key)}
                  >
                    ✕
                  </Button>
                ) : null}
              </span>
            </div>
            <div
              role="progressbar"
              aria-label={`Upload of ${item.name}`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              className="mt-2 h-1.5 overflow-hidden rounded bg-zinc-100 dark:bg-zinc-800"
            >
              <div
                className={`h-full transition-[width] ${item.status === 'failed' ? 'bg-red-500' : 'bg-emerald-500'}`}
                style={{ width: `${percent}%` }}
              />
            </div>
            {item.message ? (
              <p
                role={item.status === 'failed' ? 'alert' : undefined}
                className={`mt-1 whitespace-pre-wrap text-xs ${item.status === 'failed' ? 'text-red-700 dark:text-red-300' : 'text-amber-700 dark:text-amber-300'}`}
              >
                {item.message}
              </p>
            ) : null}
            {item.status === 'done' && item.path && item.path !== item.name ? (
              <p className="mt-1 text-xs text-zinc-500">Saved as {item.path} (the name was taken).</p>
            ) : null}
          </div>
        );
      })}
    </section>
  );
}
