import { type BucketResponse, createBucket, unwrap, updateBucket } from '@selfdb/sdk';
import { useState } from 'react';
import { FormDialog } from '../../components/ui/dialog.tsx';
import { Checkbox, Field, Input } from '../../components/ui/field.tsx';
import { useSelfDB } from '../../lib/session.tsx';
import { BUCKET_NAME_PATTERN } from './storage.ts';

const MIB = 1024 * 1024;

/** Creates a bucket, or edits one (`bucket` given): the name is fixed once made. */
export function BucketDialog({
  bucket,
  onClose,
  onSaved,
}: {
  bucket?: BucketResponse;
  onClose(): void;
  onSaved(bucket: BucketResponse): void;
}) {
  const selfdb = useSelfDB();
  const [name, setName] = useState(bucket?.name ?? '');
  const [description, setDescription] = useState(bucket?.description ?? '');
  const [isPublic, setIsPublic] = useState(bucket?.public ?? false);
  const [limit, setLimit] = useState(
    bucket?.file_size_limit ? String(Math.round((bucket.file_size_limit / MIB) * 100) / 100) : '',
  );
  const [types, setTypes] = useState((bucket?.allowed_mime_types ?? []).join(', '));

  async function save() {
    const settings = {
      public: isPublic,
      description: description.trim() || null,
      file_size_limit: limit.trim() ? Math.round(Number(limit) * MIB) : null,
      allowed_mime_types: types.trim()
        ? types
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)
        : null,
    };
    const client = selfdb.client;
    const saved = bucket
      ? unwrap(await updateBucket({ client, path: { bucket_id: bucket.id }, body: settings }))
      : unwrap(await createBucket({ client, body: { name: name.trim(), ...settings } }));
    onSaved(saved);
  }

  return (
    <FormDialog
      title={bucket ? `Edit bucket ${bucket.name}` : 'Create bucket'}
      submitLabel={bucket ? 'Save' : 'Create bucket'}
      onClose={onClose}
      onSubmit={save}
    >
      {bucket ? null : (
        <Field label="Name" hint="3–63 lowercase letters, digits and dashes; cannot be changed later.">
          <Input
            required
            pattern={BUCKET_NAME_PATTERN}
            minLength={3}
            maxLength={63}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
      )}
      <Field label="Description">
        <Input maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <Checkbox
        label="Public (anyone with the API key can read and download)"
        checked={isPublic}
        onChange={(e) => setIsPublic(e.target.checked)}
      />
      <Field label="File size limit (MB)" hint="Empty: the server's maximum.">
        <Input type="number" min="0.01" step="any" value={limit} onChange={(e) => setLimit(e.target.value)} />
      </Field>
      <Field label="Allowed types" hint="Comma-separated, e.g. image/*, application/pdf. Empty: any.">
        <Input value={types} onChange={(e) => setTypes(e.target.value)} />
      </Field>
    </FormDialog>
  );
}
