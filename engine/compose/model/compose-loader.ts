/**
 * Loading a Compose project the way `docker compose` does: the environment (`.env` under the shell's),
 * each file parsed, interpolated, checked against the schema and its `extends` resolved, the files
 * merged, `include`d projects added, profiles applied, and the result normalised into the model.
 */
import { ComposeFileError } from './compose-errors.ts';
import { resolveExtends } from './compose-extends.ts';
import { mergeComposeFiles } from './compose-merge.ts';
import type { ComposeProject } from './compose-model.ts';
import { normalizeProject } from './compose-normalize.ts';
import { baseName, dirName, joinPath, rebasePaths } from './compose-paths.ts';
import { applyProfiles } from './compose-profiles.ts';
import { validateComposeFile } from './compose-schema.ts';
import { parseComposeYaml, withoutTags } from './compose-yaml.ts';
import { dependencyOrder } from './dependency-order.ts';
import { parseDotenv } from './dotenv.ts';
import { interpolateTree, type Lookup } from './interpolate.ts';
import { projectName } from './project-name.ts';

export interface ComposeSource {
  /** Paths are relative to the project directory, '/'-separated, with no leading './'; undefined = no such file. */
  readonly readFile: (path: string) => string | undefined;
}

export interface LoadOptions {
  /** `-f`; default: the first of compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml that exists (or COMPOSE_FILE). */
  readonly files?: readonly string[];
  /** `-p`; wins over COMPOSE_PROJECT_NAME, `name:` and the directory's name. */
  readonly projectName?: string;
  /** Absolute path of the project directory: relative paths become absolute under it, and its name is the default project name. Default `/`. */
  readonly projectDirectory?: string;
  /** `--profile`; default: COMPOSE_PROFILES. */
  readonly profiles?: readonly string[];
  /** Services named on the command line (`up web`): their profiles become active. */
  readonly services?: readonly string[];
  /** `--env-file`; default: `.env` if there is one. */
  readonly envFiles?: readonly string[];
  /** The shell's environment; it wins over `.env`. */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface LoadedProject {
  readonly project: ComposeProject;
  /** What Compose would print as WARN lines (unset variables, obsolete `version`, ignored keys). */
  readonly warnings: string[];
  /** The Compose files read, in order: those given, then those `include`d or `extends`ed. */
  readonly files: string[];
}

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

type Dict = Record<string, unknown>;

interface Loading {
  readonly src: ComposeSource;
  readonly warn: (message: string) => void;
  readonly files: string[];
  /** The `include` chain being loaded, to refuse a file that includes itself. */
  readonly including: readonly string[];
}

export function loadProject(src: ComposeSource, opts: LoadOptions = {}): LoadedProject {
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (!warnings.includes(message)) warnings.push(message);
  };
  const projectDirectory = opts.projectDirectory ?? '/';
  const shell = opts.environment ?? {};
  const env = { ...readEnvFiles(src, opts.envFiles ?? (src.readFile('.env') === undefined ? [] : ['.env']), shell), ...shell };
  const lookup: Lookup = (name) => env[name];
  const files = opts.files?.length ? opts.files.map((f) => joinPath('', f)) : defaultFiles(src, env);
  const loading: Loading = { src, warn, files: [], including: [] };
  const doc = loadFiles(loading, files, '', lookup);
  const services = applyProfiles(
    (doc['services'] as Dict | undefined) ?? {},
    opts.profiles?.length ? opts.profiles : splitList(env['COMPOSE_PROFILES']),
    opts.services,
  );
  const name = projectName(opts.projectName ?? env['COMPOSE_PROJECT_NAME'], doc['name'] as string | undefined, baseName(projectDirectory));
  const project = normalizeProject({ ...doc, services }, { name, projectDirectory, lookup, readFile: src.readFile, warn });
  dependencyOrder(project.services);
  return { project, warnings, files: loading.files };
}

function defaultFiles(src: ComposeSource, env: Record<string, string>): string[] {
  const fromEnv = env['COMPOSE_FILE'];
  if (fromEnv)
    return fromEnv
      .split(env['COMPOSE_PATH_SEPARATOR'] || ':')
      .filter(Boolean)
      .map((f) => joinPath('', f));
  const found = DEFAULT_FILES.find((f) => src.readFile(f) !== undefined);
  if (!found) throw new ComposeFileError('no configuration file provided: not found');
  return [found];
}

/** `.env`-style files in order; each sees the variables of those before it, and the shell's. */
function readEnvFiles(src: ComposeSource, paths: readonly string[], shell: Readonly<Record<string, string>>): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const path of paths) {
    const file = joinPath('', path);
    const text = src.readFile(file);
    if (text === undefined) throw new ComposeFileError(`couldn't find env file: ${file}`);
    Object.assign(
      vars,
      parseDotenv(text, (k) => vars[k] ?? shell[k], file),
    );
  }
  return vars;
}

/** `files` merged in order; `dir` is where their relative paths start (project-relative), for `include`d projects. */
function loadFiles(loading: Loading, files: readonly string[], dir: string, lookup: Lookup): Dict {
  let merged: Dict = {};
  for (const file of files) merged = mergeComposeFiles(merged, loadFile(loading, file, dir, lookup));
  const includes = merged['include'];
  delete merged['include'];
  for (const [i, entry] of ((includes as unknown[] | undefined) ?? []).entries()) {
    const included = loadInclude(loading, entry, dir, lookup, `include[${i}]`);
    for (const kind of ['services', 'networks', 'volumes', 'secrets', 'configs']) importResources(merged, included, kind);
  }
  return merged;
}

/** One file: parsed, interpolated, checked, relative paths rebased onto the project directory, `extends` resolved. */
function loadFile(loading: Loading, file: string, dir: string, lookup: Lookup): Dict {
  const parsed = read(loading, file, lookup);
  return resolveExtends(rebasePaths(parsed, dir), file, (other) => rebasePaths(read(loading, other, lookup), dirName(other)));
}

function read(loading: Loading, file: string, lookup: Lookup): Dict {
  const text = loading.src.readFile(file);
  if (text === undefined) throw new ComposeFileError(`open ${file}: no such file or directory`);
  if (!loading.files.includes(file)) loading.files.push(file);
  const parsed = parseComposeYaml(file, text);
  const value = interpolateTree(parsed.value, { lookup, warn: loading.warn }) as Dict;
  validateComposeFile(parsed, withoutTags(value));
  if ('version' in value) loading.warn(`${file}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`);
  return value;
}

/**
 * An `include` entry (14-include.md): its files are loaded as a project of their own, from their own
 * directory with their own `.env`, under the including project's environment.
 */
function loadInclude(loading: Loading, entry: unknown, dir: string, parentLookup: Lookup, at: string): Dict {
  const spec = (typeof entry === 'string' ? { path: entry } : entry) as { path: string | string[]; project_directory?: string; env_file?: string | string[] };
  const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) => joinPath(dir, p));
  const projectDir = spec.project_directory === undefined ? dirName(paths[0]!) : joinPath(dir, spec.project_directory);
  for (const path of paths) {
    if (loading.including.includes(path)) throw new ComposeFileError(`${at}: include cycle detected: ${[...loading.including, path].join(' -> ')}`);
  }
  const envPaths =
    spec.env_file === undefined
      ? [joinPath(projectDir, '.env')]
      : (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((p) => joinPath(dir, p));
  const envVars: Record<string, string> = {};
  for (const path of envPaths) {
    const text = loading.src.readFile(path);
    if (text === undefined) {
      if (spec.env_file !== undefined) throw new ComposeFileError(`couldn't find env file: ${path}`);
      continue;
    }
    Object.assign(
      envVars,
      parseDotenv(text, (k) => envVars[k] ?? parentLookup(k), path),
    );
  }
  const lookup: Lookup = (name) => parentLookup(name) ?? envVars[name];
  return loadFiles({ ...loading, including: [...loading.including, ...paths] }, paths, projectDir, lookup);
}

/** Copies an included project's resources in; the same name defined differently is a conflict, as in Compose. */
function importResources(target: Dict, source: Dict, kind: string): void {
  const from = source[kind] as Dict | undefined;
  if (!from) return;
  const to = { ...((target[kind] as Dict | undefined) ?? {}) };
  for (const [name, value] of Object.entries(from)) {
    if (name in to && JSON.stringify(to[name]) !== JSON.stringify(value)) throw new ComposeFileError(`${kind}.${name} conflicts with imported resource`);
    to[name] = value;
  }
  target[kind] = to;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
