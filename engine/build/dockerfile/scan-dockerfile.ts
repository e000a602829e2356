import { DockerfileParseError } from './build-errors.ts';
import type { Heredoc } from './dockerfile-model.ts';
import { lexWords } from './expand-word.ts';

/**
 * The line level of a Dockerfile, a port of BuildKit's parser.Parse: parser directives at the top,
 * comment lines dropped (also inside continued lines), continuation lines joined with the escape
 * character and trailing blanks removed, heredoc bodies read after the line that opens them.
 *
 * Ported rather than taken from dockerfile-ast, which treats an escaped escape character at the
 * end of a line (`RUN echo \\`) as a continuation and does not keep heredoc bodies' line ends.
 */
export interface ScannedLine {
  /** 1-based first and last line (the last includes heredoc bodies). */
  readonly line: number;
  readonly endLine: number;
  /** Continuation lines joined, leading whitespace of the first line removed. */
  readonly text: string;
  /** Bodies as read (with line ends); `Heredoc.content` chomped for `<<-`. */
  readonly heredocs: readonly (Heredoc & { readonly raw: string })[];
}

export interface ScannedDockerfile {
  readonly syntax?: string;
  readonly escapeChar: '\\' | '`';
  readonly lines: readonly ScannedLine[];
}

const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const HEREDOC_WORD = /^(\d*)<<(-?)\s*([^<]*)$/;
/** RUN, COPY and ADD (also as an ONBUILD trigger) may open heredocs; their exec form may not. */
const HEREDOC_INSTRUCTION = /^(?:onbuild[\t\v\f\r ]+)?(?:run|copy|add)(?:[\t\v\f\r ]|$)/i;

/** `isExecForm` tells a JSON-form line (which opens no heredoc) from a shell-form one. */
export function scanDockerfile(text: string, isExecForm: (line: string) => boolean): ScannedDockerfile {
  // Lines keep their ends, as BuildKit's scanner does: heredoc bodies are written with them.
  const raw = text.replace(/^\uFEFF/, '').match(/[^\n]*\n|[^\n]+$/g) ?? [];
  let escapeChar: '\\' | '`' = '\\';
  let syntax: string | undefined;
  let continuation = continuationPattern(escapeChar);
  let directivesDone = false;
  const seen = new Set<string>();
  const lines: ScannedLine[] = [];
  let i = 0;

  const directive = (line: string, at: number) => {
    if (directivesDone) return;
    const m = line.startsWith('#') ? DIRECTIVE.exec(line.slice(1).trimStart()) : null;
    const key = m?.[1]?.toLowerCase();
    if (!m || (key !== 'syntax' && key !== 'escape' && key !== 'check')) {
      directivesDone = true;
      return;
    }
    if (seen.has(key)) throw new DockerfileParseError(at, `only one ${key} parser directive can be used`, false);
    seen.add(key);
    const value = m[2]!;
    if (key === 'syntax') syntax = value;
    if (key === 'escape') {
      if (value !== '`' && value !== '\\') throw new DockerfileParseError(at, `invalid escape token '${value}' does not match \` or \\`, false);
      escapeChar = value;
      continuation = continuationPattern(escapeChar);
    }
  };
  const trimContinuation = (line: string): [string, boolean] => (continuation.test(line) ? [line.replace(continuation, '$1'), false] : [line, true]);

  while (i < raw.length) {
    let line = trimNewline(raw[i]!).replace(/^\s+/u, '');
    directive(line, i + 1);
    i++;
    if (isComment(line)) line = '';
    const start = i;
    let [joined, ended] = trimContinuation(line);
    if (ended && joined === '') continue;
    while (!ended && i < raw.length) {
      const next = trimNewline(raw[i]!);
      directive(next, i + 1);
      i++;
      if (isComment(next) || next.trim() === '') continue;
      let part: string;
      [part, ended] = trimContinuation(next);
      joined += part;
    }
    const heredocs: (Heredoc & { raw: string })[] = [];
    if (joined.includes('<<') && HEREDOC_INSTRUCTION.test(joined.trim()) && !isExecForm(joined)) {
      for (const doc of heredocsIn(joined)) {
        let body = '';
        let terminated = false;
        while (i < raw.length) {
          const bodyLine = raw[i]!;
          i++;
          let candidate = trimNewline(bodyLine);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          body += bodyLine;
        }
        if (!terminated) throw new DockerfileParseError(start, 'unterminated heredoc', false);
        heredocs.push({ ...doc, raw: body, content: doc.chomp ? body.replace(/^\t+/gm, '') : body });
      }
    }
    lines.push({ line: start, endLine: i, text: joined, heredocs });
  }
  return { ...(syntax !== undefined ? { syntax } : {}), escapeChar, lines };
}

/** The heredoc words of a line, as BuildKit's heredocsFromLine finds them. */
function heredocsIn(line: string): Omit<Heredoc, 'content'>[] {
  const docs: Omit<Heredoc, 'content'>[] = [];
  for (const word of lexWords(line, { rawQuotes: true, rawEscapes: true })) {
    const doc = parseHeredocWord(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** `<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF` → the heredoc it opens; anything else → undefined. */
export function parseHeredocWord(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = HEREDOC_WORD.exec(word);
  const rest = m?.[3];
  if (!m || !rest) return undefined;
  const words = lexWords(rest, {});
  if (words.length !== 1) return undefined;
  const rawWords = lexWords(rest, { rawQuotes: true });
  const quotes = (s: string) => s.replace(/[^'"]/g, '').length;
  // A quote the lexer removed means part of the word was quoted: the body is not expanded.
  return { name: words[0]!, chomp: m[2] === '-', quoted: quotes(words[0]!) !== quotes(rawWords[0] ?? '') };
}

function continuationPattern(escapeChar: string): RegExp {
  const e = escapeChar === '\\' ? '\\\\' : escapeChar;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

function trimNewline(s: string): string {
  return s.replace(/[\r\n]+$/, '');
}

function isComment(s: string): boolean {
  return s.trimStart().startsWith('#');
}
