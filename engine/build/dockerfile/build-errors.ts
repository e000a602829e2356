import { InvalidParameterError } from '../../../core/errors.ts';

/**
 * A Dockerfile BuildKit refuses to parse. `line` is 1-based; the message is Docker's:
 * `dockerfile parse error on line 3: unknown instruction: FORM (did you mean FROM?)` for
 * instruction errors, the bare text for the scanner's (`unterminated heredoc`) as BuildKit prints them.
 */
export class DockerfileParseError extends InvalidParameterError {
  constructor(
    readonly line: number,
    readonly detail: string,
    prefixed = true,
  ) {
    super(prefixed ? `dockerfile parse error on line ${line}: ${detail}` : detail);
  }
}

/** A word that cannot be expanded: `${A:?msg}` with A unset, a bad substitution. */
export class BuildExpansionError extends InvalidParameterError {}

/** `--target` names no stage, a stage graph with a cycle. */
export class StageReferenceError extends InvalidParameterError {}
