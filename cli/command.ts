// The pieces every command is made of: its spec (names, usage, flags, argument count, help
// text), the context it runs in, and the registry the dispatcher looks commands up in. A command
// group (image, system, later container, volume, node…) is one file exporting its commands.
import type { Engine } from '../engine/index.ts';
import type { FlagSpec, Flags } from './flags.ts';
import type { VirtualFiles } from './virtual-files.ts';

/** Input for interactive commands (`run -i`, `exec -i`, `start -i`, `attach`). */
export interface CliInput {
  /**
   * Starts reading. On a terminal (`isTTY`) `onData` gets the keystrokes raw, as typed (Enter is
   * `\r`, Ctrl-C `\x03`, Ctrl-D `\x04`): the terminal stops its own line editing and Ctrl-C
   * handling until the returned function is called, and the command does the line discipline.
   * Otherwise `onData` gets the data piped in, then `onEnd` is called.
   */
  read(onData: (data: string) => void, onEnd: () => void): () => void;
}

/** Where a command's output goes, and what it knows about the terminal. */
export interface CliIO {
  stdout(s: string): void;
  stderr(s: string): void;
  readonly isTTY: boolean;
  readonly columns: number;
  readonly files: VirtualFiles;
  /** Aborts the running command (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Reads one line of input (for confirmation prompts); absent or null means end of input. */
  readLine?(): Promise<string | null>;
  /** Standard input for interactive commands; absent means none (as `< /dev/null`). */
  readonly stdin?: CliInput;
  /** Terminal height, for a container's TTY size. */
  readonly rows?: number;
  /** Calls `listener` when the terminal is resized; returns the function that stops that. */
  onResize?(listener: (columns: number, rows: number) => void): () => void;
}

/** A failure the CLI reports itself: `message` is printed to stderr as is. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** How docker prints what its daemon (here the engine) refused: `e` is the error or its message. */
export function daemonError(e: unknown): string {
  return `Error response from daemon: ${e instanceof Error ? e.message : String(e)}`;
}

/** cobra's positional-argument rules, with docker's messages. */
export type ArgRule = { readonly exactly: number } | { readonly min: number; readonly max?: number } | { readonly max: number } | 'none';

export interface CommandContext {
  readonly engine: Engine;
  readonly io: CliIO;
  /** The command as invoked, e.g. `docker image ls` or `docker images`: used in messages. */
  readonly path: string;
  readonly args: readonly string[];
  readonly flags: Flags;
  readonly signal: AbortSignal | undefined;
  /** Writes `s` and a newline to stdout. */
  out(s: string): void;
}

export interface Command {
  /**
   * Every way to invoke it, canonical first: `image ls`, `image list`, `images`. A name with a
   * space belongs to the management command (group) named by its first word.
   */
  readonly names: readonly string[];
  /** Usage after the command path: `[OPTIONS] NAME[:TAG|@DIGEST]`. */
  readonly usage: string;
  readonly short: string;
  readonly args: ArgRule;
  readonly flags: readonly FlagSpec[];
  /** false: flags end at the first argument (`docker run IMAGE --rm` passes `--rm` on). */
  readonly interspersed?: boolean;
  /** Position in `docker --help`'s "Common Commands" list, for the top-level name. */
  readonly common?: number;
  // biome-ignore lint/suspicious/noConfusingVoidType: a command that returns nothing exits 0; `undefined` would make every such command spell out its return.
  run(ctx: CommandContext): Promise<number | void>;
}

/** A management command: `docker image …`. */
export interface CommandGroup {
  readonly name: string;
  readonly short: string;
}

export class CommandRegistry {
  private readonly byName = new Map<string, Command>();
  private readonly groupList: CommandGroup[] = [];

  addGroup(group: CommandGroup): this {
    this.groupList.push(group);
    return this;
  }

  add(commands: readonly Command[]): this {
    for (const c of commands) for (const n of c.names) this.byName.set(n, c);
    return this;
  }

  group(name: string): CommandGroup | undefined {
    return this.groupList.find((g) => g.name === name);
  }

  groups(): readonly CommandGroup[] {
    return this.groupList;
  }

  find(name: string): Command | undefined {
    return this.byName.get(name);
  }

  /** The commands of a group, by sub-command name (`ls`, `pull`…); canonical names only. */
  subcommands(group: string): { name: string; command: Command }[] {
    const prefix = `${group} `;
    const out: { name: string; command: Command }[] = [];
    for (const command of new Set(this.byName.values())) {
      const name = command.names.find((n) => n.startsWith(prefix));
      if (name) out.push({ name: name.slice(prefix.length), command });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Top-level command names (`pull`, `images`, `rmi`…). */
  topLevel(): { name: string; command: Command }[] {
    return [...this.byName]
      .filter(([n]) => !n.includes(' '))
      .map(([name, command]) => ({ name, command }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
