// A minimal terminal line discipline (what a kernel's tty does in canonical mode) for interactive
// containers: the engine has no pseudo-terminal, so the CLI echoes keystrokes, lets Backspace,
// Ctrl-U and Ctrl-W edit the line, sends it on Enter, turns Ctrl-C into SIGINT and Ctrl-D into
// end of file.

export interface LineDisciplineSink {
  /** Shows typed text on the terminal. */
  echo(s: string): void;
  /** A finished line (with its `\n`), or what Ctrl-D pushed out. */
  send(data: string): void;
  /** Ctrl-D on an empty line: the end of input. */
  eof(): void;
  /** Ctrl-C: the line is dropped and the process gets SIGINT. */
  interrupt(): void;
}

/** A CSI or SS3 escape sequence (cursor keys, function keys), or a lone ESC-prefixed key. */
const ESCAPE = /^\x1b(?:\[[0-9;?]*[ -/]*[@-~]|O.|.)?/s;

export class LineDiscipline {
  private line: string[] = [];
  private ended = false;
  private lastWasCR = false;

  constructor(private readonly sink: LineDisciplineSink) {}

  /** Feeds keystrokes as the terminal reports them. */
  input(data: string): void {
    for (let i = 0; i < data.length; ) {
      if (data[i] === '\x1b') {
        // Line editing beyond erasing is not offered: cursor and function keys are dropped.
        i += ESCAPE.exec(data.slice(i))![0].length;
        this.lastWasCR = false;
        continue;
      }
      const c = String.fromCodePoint(data.codePointAt(i)!);
      i += c.length;
      const afterCR = this.lastWasCR;
      this.lastWasCR = c === '\r';
      this.key(c, afterCR);
    }
  }

  private key(c: string, afterCR: boolean): void {
    if (c === '\x03') {
      this.sink.echo('^C\n');
      this.line = [];
      this.sink.interrupt();
      return;
    }
    if (this.ended) return;
    switch (c) {
      case '\r':
      case '\n':
        // A pasted CRLF is one line end.
        if (c === '\n' && afterCR) return;
        this.sink.echo('\n');
        this.sink.send(`${this.line.join('')}\n`);
        this.line = [];
        return;
      case '\x04':
        if (this.line.length === 0) {
          this.ended = true;
          this.sink.eof();
        } else {
          this.sink.send(this.line.join(''));
          this.line = [];
        }
        return;
      case '\x7f':
      case '\b':
        this.erase(1);
        return;
      case '\x15':
        this.erase(this.line.length);
        return;
      case '\x17': {
        let n = 0;
        while (n < this.line.length && /\s/.test(this.line[this.line.length - 1 - n]!)) n++;
        while (n < this.line.length && !/\s/.test(this.line[this.line.length - 1 - n]!)) n++;
        this.erase(n);
        return;
      }
      default:
        if (c < ' ') return;
        this.line.push(c);
        this.sink.echo(c);
    }
  }

  private erase(n: number): void {
    const k = Math.min(n, this.line.length);
    if (k === 0) return;
    this.line.length -= k;
    this.sink.echo('\b \b'.repeat(k));
  }
}
