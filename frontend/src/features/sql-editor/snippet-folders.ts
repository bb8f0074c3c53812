// Saved snippets in folders. The API's snippets have a name and no folder, so the folder is the start of the name:
// `reports/monthly/revenue` is the snippet `revenue` in the folder `reports/monthly` (other clients see the full
// name). At most 100 characters in all, as the API allows.

export const MAX_SNIPPET_NAME = 100;

export interface SnippetPath {
  /** '' for a snippet outside any folder. */
  folder: string;
  name: string;
}

/** Cleans a folder as typed: segments trimmed, empty ones dropped (`' a / /b/'` is `a/b`). */
export function normalizeFolder(folder: string): string {
  return folder
    .split('/')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join('/');
}

/** The folder and the short name of a stored snippet name. */
export function splitSnippetName(full: string): SnippetPath {
  const slash = full.lastIndexOf('/');
  if (slash === -1) return { folder: '', name: full };
  const name = full.slice(slash + 1).trim();
  const folder = normalizeFolder(full.slice(0, slash));
  // `a/` or `/` alone: no usable short name, keep the whole name visible.
  return name ? { folder, name } : { folder: '', name: full };
}

/** The stored name of a snippet in a folder, or a message saying why it cannot be stored. */
export function snippetName(folder: string, name: string): { name: string } | { error: string } {
  const short = name.trim();
  if (!short) return { error: 'Give the snippet a name.' };
  if (short.includes('/')) return { error: 'A name cannot contain "/": use the folder field for folders.' };
  const cleanFolder = normalizeFolder(folder);
  const full = cleanFolder ? `${cleanFolder}/${short}` : short;
  if (full.length > MAX_SNIPPET_NAME)
    return { error: `Folder and name together are ${full.length} characters; at most ${MAX_SNIPPET_NAME}.` };
  return { name: full };
}

export interface SnippetFolder<T> {
  /** '' holds the snippets outside any folder (listed first). */
  folder: string;
  snippets: (T & { shortName: string })[];
}

/** Snippets grouped by folder: folders in name order (no folder first), snippets by name inside each. */
export function groupByFolder<T extends { name: string }>(snippets: readonly T[]): SnippetFolder<T>[] {
  const folders = new Map<string, (T & { shortName: string })[]>();
  for (const snippet of snippets) {
    const { folder, name } = splitSnippetName(snippet.name);
    const list = folders.get(folder) ?? [];
    list.push({ ...snippet, shortName: name });
    folders.set(folder, list);
  }
  const byName = (a: string, b: string) =>
    a.localeCompare(b, undefined, { sensitivity: 'base', numeric: true });
  return [...folders.entries()]
    .sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : byName(a, b)))
    .map(([folder, list]) => ({
      folder,
      snippets: list.sort((a, b) => byName(a.shortName, b.shortName)),
    }));
}
