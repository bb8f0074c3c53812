// Splits a SQL script into its statements the way psql does before sending them: at semicolons outside quotes,
// comments, dollar-quoted bodies, parentheses and `BEGIN ATOMIC … END` function bodies. The server checks and runs
// each piece with Postgres's own parser; this only decides where one statement ends, so a piece it gets wrong fails
// there with Postgres's message (nothing runs that the text did not say).

/** Whether a piece of SQL holds anything but whitespace and comments. */
export function hasStatement(text: string): boolean {
  return splitStatements(text).length > 0;
}

const WORD = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/y;
const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/**
 * The statements of a script, trimmed, without their closing semicolon; pieces holding only comments or whitespace
 * are left out. Comments inside a statement stay (a trailing `-- note` after the last semicolon is dropped).
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let meaningful = false; // the current piece has a token that is not a comment
  let parens = 0;
  let atomicDepth = 0; // inside BEGIN ATOMIC … END (CASE … END counted inside it)
  let previousWord = '';
  let i = 0;
  const n = script.length;

  const endPiece = (end: number) => {
    if (meaningful) statements.push(script.slice(start, end).trim());
    start = end + 1;
    meaningful = false;
    previousWord = '';
  };

  while (i < n) {
    const ch = script[i]!;
    const next = script[i + 1];
    if (ch === '-' && next === '-') {
      const eol = script.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
      continue;
    }
    if (ch === '/' && next === '*') {
      // Block comments nest in Postgres.
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (script[i] === '/' && script[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (script[i] === '*' && script[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch !== ';') meaningful = true;
    if (ch === "'" || ch === '"') {
      // E'…' strings take backslash escapes; doubled quotes escape in every kind.
      const escapes = ch === "'" && i > 0 && /[eE]/.test(script[i - 1]!) && !/\w/.test(script[i - 2] ?? '');
      i++;
      while (i < n) {
        if (escapes && script[i] === '\\') i += 2;
        else if (script[i] === ch) {
          if (script[i + 1] === ch) i += 2;
          else break;
        } else i++;
      }
      i++;
      previousWord = '';
      continue;
    }
    if (ch === '$') {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(script);
      // `$1` (a parameter) is no tag; a tag must not follow a word character (`a$b$` is an identifier).
      if (tag && !/[A-Za-z0-9_]/.test(script[i - 1] ?? '')) {
        const close = script.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? n : close + tag[0].length;
        previousWord = '';
        continue;
      }
      i++;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(script);
    if (word) {
      const lower = word[0].toLowerCase();
      if (lower === 'atomic' && previousWord === 'begin') atomicDepth++;
      else if (atomicDepth > 0 && lower === 'case') atomicDepth++;
      else if (atomicDepth > 0 && lower === 'end') atomicDepth--;
      previousWord = lower;
      i += word[0].length;
      continue;
    }
    if (ch === '(') parens++;
    else if (ch === ')') parens = Math.max(0, parens - 1);
    else if (ch === ';' && parens === 0 && atomicDepth === 0) {
      endPiece(i);
      i++;
      continue;
    }
    previousWord = '';
    i++;
  }
  endPiece(n);
  return statements;
}
