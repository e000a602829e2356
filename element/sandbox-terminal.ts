// The terminal of a `tty` sandbox: xterm.js fitted to its box. Loaded on first use only, so a
// page whose sandboxes have plain output never downloads xterm.
import type { Terminal } from '@xterm/xterm';

export interface SandboxTerminal {
  readonly term: Terminal;
  dispose(): void;
}

/** The terminal's colours come from the element's custom properties (README, "Embedding a sandbox"). */
function theme(host: HTMLElement): { background: string; foreground: string; cursor: string } {
  const css = getComputedStyle(host);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    background: v('--sandbox-terminal-background', '#0d1117'),
    foreground: v('--sandbox-terminal-foreground', '#c9d1d9'),
    cursor: v('--sandbox-terminal-cursor', '#58a6ff'),
  };
}

export async function openTerminal(host: HTMLElement, box: HTMLElement, label: string): Promise<SandboxTerminal> {
  const [{ Terminal }, { FitAddon }, { default: css }] = await Promise.all([
    import('@xterm/xterm'),
    import('@xterm/addon-fit'),
    import('@xterm/xterm/css/xterm.css?inline'),
  ]);
  // xterm's stylesheet must be inside the shadow root to reach the terminal.
  const style = document.createElement('style');
  style.textContent = css;
  box.before(style);
  const term = new Terminal({ convertEol: true, fontSize: 13, rows: 12, scrollback: 2000, theme: theme(host), screenReaderMode: false });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(box);
  term.textarea?.setAttribute('aria-label', label);
  fit.fit();
  const resize = new ResizeObserver(() => fit.fit());
  resize.observe(box);
  return {
    term,
    dispose() {
      resize.disconnect();
      term.dispose();
      style.remove();
    },
  };
}
