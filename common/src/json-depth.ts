/**
 * The deepest nesting of arrays and objects SelfDB accepts in JSON from clients (request bodies, realtime frames).
 * Real documents, jsonb values included, stay far below it; far deeper ones (thousands of levels) would overflow
 * the stack of the recursive code that handles parsed values (JSON.stringify, validation, the pg driver).
 */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * True when `text` opens more than `max` arrays or objects at once (brackets inside strings do not count). One
 * pass without recursion, run before parsing; text that is not JSON gives an answer too, and is refused by the
 * parser after.
 */
export function jsonDepthExceeds(text: string, max: number = MAX_JSON_DEPTH): boolean {
  // Nesting deeper than `max` takes more than `max` opening brackets.
  if (text.length <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) {
      for (i++; i < text.length; i++) {
        const inString = text.charCodeAt(i);
        if (inString === BACKSLASH) i++;
        else if (inString === QUOTE) break;
      }
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if ((char === CLOSE_BRACE || char === CLOSE_BRACKET) && depth > 0) {
      depth--;
    }
  }
  return false;
}
