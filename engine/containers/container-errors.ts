import { EngineError } from '../../core/errors.ts';

/** A container the engine cannot run as asked (Docker's exit 126 class). */
export class CannotRunError extends EngineError {
  override readonly status = 400;
}

/** The command does not exist in the container (Docker's exit 127 class). */
export class CommandNotFoundError extends EngineError {
  override readonly status = 404;
}

/** The node could not start the container's process (the guest, its Worker, its filesystem): exit 125. */
export class ContainerStartError extends EngineError {}

/** Why a process ended before it started, as the error `start` rejects with. */
export function startError(code: number, error: string): EngineError {
  if (code === 127) return new CommandNotFoundError(error);
  if (code === 126) return new CannotRunError(error);
  return new ContainerStartError(`failed to create task for container: ${error}`);
}
