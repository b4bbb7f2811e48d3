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

// Masking is one native regex pass over the text (no per-character JavaScript loop, no typed-array copy), so a
// cold scan of a large file costs about what a warm one does: the regex engine compiles the pattern once, with no
// JIT warm-up of a hand-written loop. The patterns are linear: each repeated group is "unrolled" (a plain run, then
// one escape or lone quote at a time), so nothing backtracks. Unterminated tokens end at their line (one-line
// strings) or at the end of the text (docstrings, block comments, template literals) instead of failing.

/**
 * Python tokens that matter for masking: a comment, a triple-quoted string (a backslash escapes the next character;
 * the first of three closing quotes ends it), a one-line string (a backslash-newline continues it).
 */
const PY_TOKENS = /#[^\n]*|"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*(?:"""|\\?$)|'''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*(?:'''|\\?$)|"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"?|'[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*'?/g;
/** JavaScript/TypeScript: line and block comments, one-line strings, template literals (may span lines). */
const SCRIPT_TOKENS = /\/\/[^\n]*|\/\*[^*]*(?:\*(?!\/)[^*]*)*(?:\*\/|$)|"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"?|'[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*'?|`[^`\\]*(?:\\[\s\S][^`\\]*)*`?/g;

/** Spaces in place of every character but newlines, so lines and columns do not move. */
const blank = (s: string) => (s.includes('\n') ? s.replace(/[^\n]/g, ' ') : ' '.repeat(s.length));

/**
 * Python source with comments and triple-quoted strings (docstrings) blanked to spaces, so patterns do not match
 * inside them. Ordinary string literals are kept: export paths live in them.
 */
export function maskPython(text: string): string {
  return text.replace(PY_TOKENS, (t) => (t[0] === '#' || t.startsWith('"""') || t.startsWith("'''") ? blank(t) : t));
}

/** JavaScript/TypeScript source with comments blanked (strings, including template literals, kept). */
export function maskScript(text: string): string {
  return text.replace(SCRIPT_TOKENS, (t) => (t[0] === '/' ? blank(t) : t));
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
