// The sandbox's look, inside its shadow root. Every colour, the font and the radius are custom
// properties a page sets on the element (or any ancestor) to theme it.
export const SANDBOX_CSS = `
:host {
  display: block;
  font-family: var(--sandbox-font, system-ui, sans-serif);
  color: var(--sandbox-foreground, #1f2328);
  background: var(--sandbox-background, #f6f8fa);
  border: 1px solid var(--sandbox-border, #d0d7de);
  border-radius: var(--sandbox-radius, 6px);
  margin: 1em 0;
  overflow: hidden;
}
:host([hidden]) { display: none; }
.bar { display: flex; align-items: center; gap: 0.5em; padding: 0.4em 0.6em; border-bottom: 1px solid var(--sandbox-border, #d0d7de); }
.title { flex: 1; font-family: var(--sandbox-code-font, ui-monospace, monospace); font-size: 0.85em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
button {
  font: inherit; font-size: 0.85em; padding: 0.25em 0.9em; cursor: pointer;
  color: var(--sandbox-button-foreground, #fff);
  background: var(--sandbox-accent, #1f6feb);
  border: 1px solid transparent; border-radius: var(--sandbox-radius, 6px);
}
button.secondary { color: var(--sandbox-foreground, #1f2328); background: transparent; border-color: var(--sandbox-border, #d0d7de); }
button:disabled { opacity: 0.55; cursor: default; }
button:focus-visible, textarea:focus-visible { outline: 2px solid var(--sandbox-focus, #0969da); outline-offset: 1px; }
.status { font-size: 0.8em; min-width: 6em; text-align: right; }
.status.failed { color: var(--sandbox-error, #cf222e); }
.file { display: block; border-bottom: 1px solid var(--sandbox-border, #d0d7de); }
.file label { display: block; font-family: var(--sandbox-code-font, ui-monospace, monospace); font-size: 0.75em; padding: 0.3em 0.6em 0; opacity: 0.8; }
textarea {
  display: block; box-sizing: border-box; width: 100%; resize: vertical; border: 0; padding: 0.4em 0.6em;
  font-family: var(--sandbox-code-font, ui-monospace, monospace); font-size: 0.85em; tab-size: 2;
  color: inherit; background: var(--sandbox-editor-background, #fff);
}
.output {
  margin: 0; padding: 0.5em 0.6em; min-height: 1.5em; max-height: var(--sandbox-output-height, 16em); overflow: auto; white-space: pre-wrap;
  font-family: var(--sandbox-code-font, ui-monospace, monospace); font-size: 0.85em;
  color: var(--sandbox-output-foreground, #c9d1d9); background: var(--sandbox-output-background, #0d1117);
}
.output .stderr { color: var(--sandbox-stderr, #ff7b72); }
.terminal { height: var(--sandbox-terminal-height, 16em); padding: 0.3em; background: var(--sandbox-terminal-background, #0d1117); }
`;
