import { describe, expect, it } from 'vitest';
import { LineDiscipline } from '../../../cli/line-discipline.ts';

function terminal() {
  const t = { echoed: '', sent: [] as string[], eof: 0, interrupts: 0 };
  const ld = new LineDiscipline({
    echo: (s) => (t.echoed += s),
    send: (d) => t.sent.push(d),
    eof: () => t.eof++,
    interrupt: () => t.interrupts++,
  });
  return { t, ld };
}

describe('line discipline', () => {
  it('echoes and sends whole lines on Enter', () => {
    const { t, ld } = terminal();
    ld.input('hel');
    ld.input('lo\r');
    ld.input('two\r\nthree\n');
    expect(t.sent).toEqual(['hello\n', 'two\n', 'three\n']);
    expect(t.echoed).toBe('hello\ntwo\nthree\n');
  });

  it('edits with Backspace, Ctrl-U and Ctrl-W, and drops cursor keys', () => {
    const { t, ld } = terminal();
    ld.input('abx\x7fc\r');
    expect(t.sent).toEqual(['abc\n']);
    expect(t.echoed).toBe('abx\b \bc\n');
    ld.input('one two\x17three\r');
    ld.input('junk\x15ok\x1b[A\x1b[D\x1bOH\r');
    ld.input('\x7f\x7fé€😀\x7f\r');
    expect(t.sent).toEqual(['abc\n', 'one three\n', 'ok\n', 'é€\n']);
  });

  it('turns Ctrl-C into an interrupt and Ctrl-D into end of input', () => {
    const { t, ld } = terminal();
    ld.input('half\x03');
    expect(t.interrupts).toBe(1);
    expect(t.echoed).toBe('half^C\n');
    ld.input('partial\x04');
    expect(t.sent).toEqual(['partial']);
    expect(t.eof).toBe(0);
    ld.input('\x04');
    expect(t.eof).toBe(1);
    // After the end of input only Ctrl-C still means something.
    ld.input('more\r\x04');
    expect(t.sent).toEqual(['partial']);
    expect(t.eof).toBe(1);
    ld.input('\x03');
    expect(t.interrupts).toBe(2);
  });
});
