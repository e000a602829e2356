import { EngineError } from '../../core/errors.ts';

/** A build step failed (a RUN exited non-zero, a COPY source is missing): Docker's `failed to solve` errors. */
export class BuildStepError extends EngineError {}
