// Pure helpers of the Storage pages: what can be previewed and how, when an upload goes resumable, signed-link
// lifetimes and upload progress as text.

/** Files larger than this go up with tus (chunks, progress, resumes after a dropped connection); smaller in one go. */
export const RESUMABLE_THRESHOLD = 1024 * 1024;
/** The tus chunk: one progress step, and at most this much to send again after a dropped connection. */
export const UPLOAD_CHUNK_SIZE = 2 * 1024 * 1024;
/** Text previews read at most this much of the file (a Range request), images at most IMAGE_PREVIEW_MAX. */
export const TEXT_PREVIEW_BYTES = 256 * 1024;
export const IMAGE_PREVIEW_MAX = 20 * 1024 * 1024;

export type PreviewKind = 'image' | 'text';

const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/x-javascript',
  'application/typescript',
  'application/x-sh',
  'application/sql',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/csv',
  'application/x-ndjson',
  'image/svg+xml',
]);
const TEXT_EXTENSIONS = new Set([
  'txt',
  'md',
  'markdown',
  'csv',
  'tsv',
  'json',
  'ndjson',
  'xml',
  'yaml',
  'yml',
  'toml',
  'ini',
  'log',
  'sql',
  'js',
  'mjs',
  'cjs',
  'ts',
  'tsx',
  'jsx',
  'css',
  'html',
  'htm',
  'svg',
  'sh',
  'py',
  'rb',
  'go',
  'rs',
  'java',
  'c',
  'h',
  'cpp',
  'env',
  'conf',
]);
/** Raster images the browser shows in <img>; SVG is shown as its text (it can carry scripts and links). */
const IMAGE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/x-icon',
]);
const IMAGE_EXTENSIONS: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
};

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/**
 * How a file can be previewed: from its stored MIME type, else (application/octet-stream, the raw upload's
 * default) from its extension. HTML and SVG are text: a preview never renders markup.
 */
export function previewKind(mimeType: string, name: string): PreviewKind | null {
  const type = mimeType.split(';')[0]!.trim().toLowerCase();
  if (IMAGE_TYPES.has(type)) return 'image';
  if (type.startsWith('text/') || TEXT_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml')) {
    return 'text';
  }
  if (type === '' || type === 'application/octet-stream') {
    const extension = extensionOf(name);
    if (extension in IMAGE_EXTENSIONS) return 'image';
    if (TEXT_EXTENSIONS.has(extension)) return 'text';
  }
  return null;
}

/** The type an image preview's Blob gets (the stored one, or the extension's when it was stored as octet-stream). */
export function imageType(mimeType: string, name: string): string {
  const type = mimeType.split(';')[0]!.trim().toLowerCase();
  return IMAGE_TYPES.has(type) ? type : (IMAGE_EXTENSIONS[extensionOf(name)] ?? 'application/octet-stream');
}

/** The Content-Type an upload is stored with: the browser's guess, or octet-stream when it has none. */
export function uploadContentType(file: { type: string }): string {
  return file.type || 'application/octet-stream';
}

export function isResumable(size: number): boolean {
  return size > RESUMABLE_THRESHOLD;
}

/** Whole percent of an upload, never 100 before the last byte. */
export function uploadPercent(sent: number, total: number): number {
  if (total <= 0) return 100;
  const percent = Math.floor((100 * Math.min(sent, total)) / total);
  return sent < total ? Math.min(percent, 99) : 100;
}

/** Lifetimes offered for a signed link (the server's STORAGE_SIGNED_URL_MAX_SECONDS may refuse the longest). */
export const SIGNED_LINK_EXPIRIES: { label: string; seconds: number }[] = [
  { label: '5 minutes', seconds: 5 * 60 },
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 24 * 3600 },
  { label: '7 days', seconds: 7 * 24 * 3600 },
];

/** A signed URL (path + query relative to the API base) as an absolute link anyone can open. */
export function absoluteSignedUrl(apiUrl: string, url: string): string {
  if (/^https?:\/\//i.test(url)) return url;
  return `${apiUrl.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

/** Text of a preview: the bytes as UTF-8 (invalid sequences replaced), and whether it was cut short. */
export function decodePreview(bytes: ArrayBuffer, fileSize: number): { text: string; truncated: boolean } {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return { text, truncated: bytes.byteLength < fileSize };
}

/** Bucket names as the API takes them: 3–63 lowercase letters, digits and dashes, not starting or ending with a dash. */
export const BUCKET_NAME_PATTERN = '[a-z0-9][a-z0-9\\-]{1,61}[a-z0-9]';

/** The orders a bucket's files can be listed in (the API's sort_by and sort_order). */
export const FILE_SORTS = [
  { label: 'Newest first', by: 'created_at', order: 'desc' },
  { label: 'Oldest first', by: 'created_at', order: 'asc' },
  { label: 'Name A–Z', by: 'name', order: 'asc' },
  { label: 'Name Z–A', by: 'name', order: 'desc' },
  { label: 'Largest first', by: 'size', order: 'desc' },
  { label: 'Smallest first', by: 'size', order: 'asc' },
] as const;

/**
 * Runs `remove` for each id, one after the other, and reports which went and which failed (with why): a bulk delete
 * that fails half-way says so instead of leaving the list in a half-state.
 */
export async function removeEach(
  ids: readonly string[],
  remove: (id: string) => Promise<void>,
): Promise<{ removed: string[]; failed: { id: string; error: unknown }[] }> {
  const removed: string[] = [];
  const failed: { id: string; error: unknown }[] = [];
  for (const id of ids) {
    try {
      await remove(id);
      removed.push(id);
    } catch (error) {
      failed.push({ id, error });
    }
  }
  return { removed, failed };
}

/** `1 file`, `2 files`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
