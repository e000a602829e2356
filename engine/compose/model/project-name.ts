/**
 * The project's name: `-p` (or COMPOSE_PROJECT_NAME), else `name:` in the file, else the project
 * directory's name. A name the user gave must already be valid; a directory's name is made valid.
 */
import { ComposeFileError } from './compose-errors.ts';

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

export function projectName(given: string | undefined, fromFile: string | undefined, directoryName: string): string {
  const explicit = given || fromFile;
  if (explicit) {
    if (!VALID.test(explicit)) {
      throw new ComposeFileError(
        `${JSON.stringify(explicit)} is not a valid project name: it must contain only characters from [a-z0-9_-] and start with [a-z0-9]`,
      );
    }
    return explicit;
  }
  // Compose lowercases the directory's name and drops what a name may not hold.
  const name = directoryName
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
  if (!name) throw new ComposeFileError('project name must not be empty');
  return name;
}
