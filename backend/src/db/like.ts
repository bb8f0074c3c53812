// LIKE/ILIKE patterns built from user text: the text's own `%`, `_` and `\` match literally (Postgres's default
// escape character is `\`), so a search never turns into a wildcard query.

/** `text` with the LIKE wildcards and the escape character escaped. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/** `%term%`: rows that contain `term` anywhere, literally. */
export const containsPattern = (term: string) => `%${escapeLike(term)}%`;

/** The pattern of an optional `search` parameter; null when there is none (the query then skips the condition). */
export const searchPattern = (search?: string) => (search ? containsPattern(search) : null);
