/**
 * A Dockerfile as parsed: stages and their instructions, with the words as written. Variables are
 * not expanded here: their values depend on the base image's environment, known only when the
 * build runs, so the builder expands each word (expand-word.ts) as it reaches the instruction.
 */
export interface Dockerfile {
  /** `# syntax=` and `# escape=` (default `\`). */
  readonly directives: { readonly syntax?: string; readonly escape: '\\' | '`' };
  /** `ARG`s before the first FROM: usable in FROM lines, and in a stage that re-declares them. */
  readonly globalArgs: readonly ArgDeclaration[];
  readonly stages: readonly StageDeclaration[];
}

export interface ArgDeclaration {
  readonly name: string;
  /** The default as written (unexpanded); absent for `ARG NAME`. */
  readonly default?: string;
}

export interface StageDeclaration {
  /** 0-based position. */
  readonly index: number;
  /** `AS name`, lowercased as Docker does. */
  readonly name?: string;
  /** FROM's image word, unexpanded (`alpine:${V}`, `scratch`, a stage name). */
  readonly from: string;
  /** `--platform=`, unexpanded. */
  readonly platform?: string;
  /** 1-based line of the FROM. */
  readonly line: number;
  readonly instructions: readonly Instruction[];
}

/** A command as `RUN`, `CMD`, `ENTRYPOINT` and `HEALTHCHECK CMD` write it. */
export type CommandForm =
  | { readonly form: 'exec'; readonly args: readonly string[] }
  /** Shell form: run as SHELL + [script]. */
  | { readonly form: 'shell'; readonly script: string };

export interface Heredoc {
  /** `EOF` in `<<EOF`. */
  readonly name: string;
  readonly content: string;
  /** `<<-EOF`: leading tabs stripped. */
  readonly chomp: boolean;
  /** `<<"EOF"` / `<<'EOF'`: no expansion in the body. */
  readonly quoted: boolean;
}

interface Base {
  /** 1-based first line. */
  readonly line: number;
  /** The instruction as written, continuation lines joined (for history `created_by` and progress). */
  readonly text: string;
}

export type Instruction =
  | (Base & {
      readonly kind: 'RUN';
      readonly command: CommandForm;
      readonly heredocs: readonly Heredoc[];
      /** `--network=`, `--mount=` …: accepted flags, as written. */
      readonly flags: Readonly<Record<string, string>>;
      /** Every `--mount=` (a flag that may repeat; `flags.mount` holds the last). */
      readonly mounts?: readonly string[];
    })
  | (Base & {
      readonly kind: 'COPY' | 'ADD';
      /** Sources as written (unexpanded); for heredocs, the heredoc's name. */
      readonly sources: readonly string[];
      readonly dest: string;
      readonly from?: string;
      readonly chown?: string;
      readonly chmod?: string;
      readonly link: boolean;
      /** `COPY <<EOF /x`: the heredocs that are inline sources. */
      readonly heredocs: readonly Heredoc[];
      /** `ADD --checksum=`, `--keep-git-dir`, `--exclude` …: as written. */
      readonly flags: Readonly<Record<string, string>>;
      /** Every `--exclude=` (a flag that may repeat; `flags.exclude` holds the last). */
      readonly excludes?: readonly string[];
    })
  | (Base & { readonly kind: 'ENV' | 'LABEL'; readonly pairs: readonly (readonly [string, string])[] })
  | (Base & { readonly kind: 'ARG'; readonly args: readonly ArgDeclaration[] })
  | (Base & { readonly kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER'; readonly value: string })
  | (Base & { readonly kind: 'CMD' | 'ENTRYPOINT'; readonly command: CommandForm })
  | (Base & { readonly kind: 'SHELL'; readonly args: readonly string[] })
  | (Base & { readonly kind: 'EXPOSE' | 'VOLUME'; readonly values: readonly string[] })
  | (Base & {
      readonly kind: 'HEALTHCHECK';
      /** `HEALTHCHECK NONE` → null. */
      readonly check: null | {
        readonly command: CommandForm;
        /** Durations as written (`30s`). */
        readonly interval?: string;
        readonly timeout?: string;
        readonly startPeriod?: string;
        readonly startInterval?: string;
        readonly retries?: string;
      };
    })
  | (Base & { readonly kind: 'ONBUILD'; readonly trigger: string });
