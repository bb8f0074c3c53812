/** What a completed write answers: where the object landed and what it holds. */
export const StoredObjectSchema = {
  type: 'object',
  properties: {
    bucket: { type: 'string' },
    path: { type: 'string' },
    size: { type: 'integer' },
    sha256: { type: 'string' },
    etag: { type: 'string' },
  },
  required: ['bucket', 'path', 'size', 'sha256', 'etag'],
} as const;
