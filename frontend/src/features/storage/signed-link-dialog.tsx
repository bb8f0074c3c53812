// Loaded on first use (React.lazy): a signed link to one file, valid for a chosen time, that works without a token
// or the API key (to share, or for <img src>).
import { createSignedUrl, type FileResponse, type SignedUrlResponse, unwrap } from '@selfdb/sdk';
import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { Dialog } from '../../components/ui/dialog.tsx';
import { Field, Select } from '../../components/ui/field.tsx';
import { ErrorMessage } from '../../components/ui/states.tsx';
import { errorMessage } from '../../lib/errors.ts';
import { formatDate } from '../../lib/format.ts';
import { useSelfDB, useSession } from '../../lib/session.tsx';
import { absoluteSignedUrl, SIGNED_LINK_EXPIRIES } from './storage.ts';

export default function SignedLinkDialog({ file, onClose }: { file: FileResponse; onClose(): void }) {
  const selfdb = useSelfDB();
  const { config } = useSession();
  const [seconds, setSeconds] = useState(3600);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [signed, setSigned] = useState<SignedUrlResponse | null>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const link = signed ? absoluteSignedUrl(config.apiUrl, signed.url) : '';

  async function create() {
    setBusy(true);
    setError(null);
    setCopied(null);
    try {
      setSigned(
        unwrap(
          await createSignedUrl({
            client: selfdb.client,
            path: { file_id: file.id },
            body: { expires_in: seconds },
          }),
        ),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  }

  return (
    <Dialog
      title={`Signed link to ${file.name}`}
      onClose={onClose}
      footer={<Button onClick={onClose}>Close</Button>}
    >
      <div className="space-y-3">
        <div className="flex items-end gap-2">
          <div className="flex-1">
            <Field label="Valid for">
              <Select value={seconds} onChange={(e) => setSeconds(Number(e.target.value))}>
                {SIGNED_LINK_EXPIRIES.map((option) => (
                  <option key={option.seconds} value={option.seconds}>
                    {option.label}
                  </option>
                ))}
              </Select>
            </Field>
          </div>
          <Button variant="primary" disabled={busy} onClick={() => void create()}>
            {busy ? 'Working…' : 'Create link'}
          </Button>
        </div>
        {error ? <ErrorMessage message={errorMessage(error)} /> : null}
        {signed ? (
          <div className="space-y-2">
            <Field
              label="Link"
              hint={`Anyone with it can download the file until ${formatDate(signed.expires_at)}.`}
            >
              <input
                readOnly
                value={link}
                onFocus={(e) => e.target.select()}
                className="w-full rounded-md border border-zinc-300 bg-zinc-50 px-2.5 py-1.5 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-950"
              />
            </Field>
            <div className="flex items-center gap-2">
              <Button size="sm" onClick={() => void copy()}>
                Copy link
              </Button>
              {copied === 'yes' ? (
                <span className="text-xs text-emerald-700 dark:text-emerald-400">Copied</span>
              ) : null}
              {copied === 'no' ? (
                <span className="text-xs text-zinc-500">
                  The browser refused: select the link and copy it.
                </span>
              ) : null}
            </div>
          </div>
        ) : null}
      </div>
    </Dialog>
  );
}
