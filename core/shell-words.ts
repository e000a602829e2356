// Splits a command line into words as a POSIX shell does for quoting (no expansion): so a line
// typed in the demo terminal reaches the CLI with the same argv it would get from bash.

export class ShellSyntaxError extends Error {
  override readonly name = 'ShellSyntaxError';
}

/**
 * `docker run -e 'A=1 2' "x\"y" a\ b` → ['docker', 'run', '-e', 'A=1 2', 'x"y', 'a b'].
 * Single quotes are literal; in double quotes a backslash escapes only $ ` " \ and newline;
 * outside quotes it escapes any character. A backslash-newline joins lines.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
      word += line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        const n = line[j + 1];
        if (line[j] === '\\' && n !== undefined && '$`"\\\n'.includes(n)) {
          if (n !== '\n') word += n;
          j++;
        } else word += line[j];
      }
      if (j >= line.length) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      if (line[i + 1] !== '\n') word += line[i + 1];
      else if (word === '') inWord = false;
      i++;
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}
