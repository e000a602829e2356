import { InvalidParameterError } from '../../../core/errors.ts';

/** A Compose file (or the project it describes) is invalid: Docker answers such a file with exit code 1 and this message. */
export class ComposeFileError extends InvalidParameterError {}
