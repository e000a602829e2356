// Reading and printing Compose files takes yaml, ajv and the compose-spec schema, most of what
// Compose adds to the engine: they load with the first `docker compose` or `docker stack deploy`,
// not with the engine.
import type { ComposeSource, LoadedProject, LoadOptions } from './model/compose-loader.ts';
import type { ComposeProject } from './model/compose-model.ts';

/** The project that Compose files describe (model/compose-loader.ts). */
export async function loadProject(src: ComposeSource, opts: LoadOptions = {}): Promise<LoadedProject> {
  return (await import('./model/compose-loader.ts')).loadProject(src, opts);
}

/** The project as `docker compose config` prints it. */
export async function configYaml(project: ComposeProject): Promise<string> {
  return (await import('./model/config-output.ts')).configYaml(project);
}

/** `docker compose config --format json`. */
export async function configJson(project: ComposeProject): Promise<string> {
  return (await import('./model/config-output.ts')).configJson(project);
}
