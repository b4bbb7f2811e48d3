// Small, linear-time text tools shared by the source scanners: blanking comments and long strings (keeping every
// offset and line number), reading a call's arguments, and string literals. Tolerant by design: unterminated
// strings or brackets end at a limit instead of failing, so half-typed code still gets lenses.

/** Converts offsets to zero-based lines with a binary search over line starts. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - this.starts[lo] };
  }
}

const SPACE = 0x20;
const NL = 0x0a;
const BACKSLASH = 0x5c;
const HASH = 0x23;
const SLASH = 0x2f;
const STAR = 0x2a;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKTICK = 0x60;

/** The text as UTF-16 code units, to blank ranges in place (one copy, no per-token strings: large files stay fast). */
const codes = (text: string) => {
  const buf = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) buf[i] = text.charCodeAt(i);
  return buf;
};
const decoder = new TextDecoder('utf-16le');
const toText = (buf: Uint16Array) => decoder.decode(buf);

/** Spaces over [from, to), newlines kept so lines and columns do not move. */
function blankRange(buf: Uint16Array, from: number, to: number) {
  for (let j = from; j < to; j++) if (buf[j] !== NL) buf[j] = SPACE;
}

/** Index just past the string literal opened at `at` (quote `q`, `len` 1 or 3); single-line ones end at a newline. */
function stringEnd(buf: Uint16Array, at: number, q: number, len: number, singleLine: boolean): number {
  for (let j = at + len; j < buf.length; j++) {
    const c = buf[j];
    if (c === BACKSLASH) {
      j++;
      continue;
    }
    if (c === NL && singleLine) return j;
    if (c === q && (len === 1 || (buf[j + 1] === q && buf[j + 2] === q))) return j + len;
  }
  return buf.length;
}

/**
 * Python source with comments and triple-quoted strings (docstrings) blanked to spaces, so patterns do not match
 * inside them. Ordinary string literals are kept: export paths live in them.
 */
export function maskPython(text: string): string {
  const buf = codes(text);
  for (let i = 0; i < buf.length;) {
    const c = buf[i];
    if (c === HASH) {
      let end = i;
      while (end < buf.length && buf[end] !== NL) end++;
      blankRange(buf, i, end);
      i = end;
    } else if (c === QUOTE || c === APOSTROPHE) {
      const triple = buf[i + 1] === c && buf[i + 2] === c;
      const end = stringEnd(buf, i, c, triple ? 3 : 1, !triple);
      if (triple) blankRange(buf, i, end);
      i = end;
    } else i++;
  }
  return toText(buf);
}

/** JavaScript/TypeScript source with comments blanked (strings, including template literals, kept). */
export function maskScript(text: string): string {
  const buf = codes(text);
  for (let i = 0; i < buf.length;) {
    const c = buf[i];
    if (c === SLASH && buf[i + 1] === SLASH) {
      let end = i;
      while (end < buf.length && buf[end] !== NL) end++;
      blankRange(buf, i, end);
      i = end;
    } else if (c === SLASH && buf[i + 1] === STAR) {
      let end = i + 2;
      while (end < buf.length && !(buf[end] === STAR && buf[end + 1] === SLASH)) end++;
      end = Math.min(buf.length, end + 2);
      blankRange(buf, i, end);
      i = end;
    } else if (c === QUOTE || c === APOSTROPHE || c === BACKTICK) {
      i = stringEnd(buf, i, c, 1, c !== BACKTICK);
    } else i++;
  }
  return toText(buf);
}

/** Offset just past the closing `close`; a single-line string also ends (unterminated) at the end of its line. */
function findClose(text: string, from: number, close: string, singleLine: boolean): number {
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (singleLine && c === '\n') return j;
    if (text.startsWith(close, j)) return j + close.length;
  }
  return text.length;
}

/** The longest a call's argument list may be before the scanner gives up on it (a missing bracket). */
const MAX_CALL_CHARS = 4000;

/**
 * The top-level arguments of the call whose "(" is at `open`: raw text of each, split at depth-0 commas.
 * Undefined when the closing bracket is missing within MAX_CALL_CHARS.
 */
export function callArguments(text: string, open: number): string[] | undefined {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  const limit = Math.min(text.length, open + MAX_CALL_CHARS);
  for (let j = open; j < limit; j++) {
    const c = text[j];
    if (c === '"' || c === "'" || c === '`') {
      j = findClose(text, j + 1, c, c !== '`') - 1;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        const last = text.slice(start, j).trim();
        if (last) args.push(last);
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, j).trim());
      start = j + 1;
    }
  }
  return undefined;
}

/** A positional argument or keyword argument (`name=` in Python) of a call. */
export function argument(args: string[], position: number, keyword?: string): string | undefined {
  if (keyword) {
    const kw = args.find((a) => new RegExp(`^${keyword}\\s*=(?!=)`).test(a));
    if (kw) return kw.slice(kw.indexOf('=') + 1).trim();
  }
  const positional = args.filter((a) => !/^[A-Za-z_]\w*\s*=(?!=)/.test(a));
  return positional[position];
}

/** The value of a plain string literal (Python r/u/b prefixes allowed; f-strings and templates with ${} are not). */
export function stringLiteral(expr: string | undefined): string | undefined {
  if (!expr) return undefined;
  const m = /^([rRuUbB]{0,2})(['"`])([^\n]*)\2$/.exec(expr.trim());
  if (!m || (m[2] === '`' && m[3].includes('${'))) return undefined;
  if (m[3].replace(/\\./g, '').includes(m[2])) return undefined; // "a" + "b": two literals, not one
  const raw = /r/i.test(m[1]);
  return raw ? m[3] : m[3].replace(/\\(.)/g, '$1');
}
