import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../engine/compose/model/compose-loader.ts';

/** A service's `command:` string as the model splits it. */
const splitShellWords = (text: string) =>
  loadProject(
    { readFile: (p) => (p === 'compose.yaml' ? `services:\n  a:\n    image: x\n    command: ${JSON.stringify(text).replaceAll('$', '$$$$')}\n` : undefined) },
    { projectName: 'p' },
  ).project.services['a']!.command ?? [];

describe('command: strings', () => {
  it.each([
    ['npm start', ['npm', 'start']],
    ['  spaced\tout  ', ['spaced', 'out']],
    [`sh -c 'echo "$HOME" | cat'`, ['sh', '-c', 'echo "$HOME" | cat']],
    [`echo "a \\"quoted\\" word" \\$x`, ['echo', 'a "quoted" word', '$x']],
    [`echo '' ""`, ['echo', '', '']],
    [`a"b c"d`, ['ab cd']],
    ['', []],
  ])('%s', (text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });

  it('refuses an unterminated quote', () => {
    expect(() => splitShellWords(`echo 'oops`)).toThrow(/invalid command line string/);
  });
});
