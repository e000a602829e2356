/**
 * `extends` (05-services.md): a service is merged over the service it names, in the same file or in
 * another one, recursively; the chain must not loop back on itself.
 */
import { ComposeFileError } from './compose-errors.ts';
import { mergeService } from './compose-merge.ts';
import { dirName, joinPath } from './compose-paths.ts';
import { withoutTags } from './compose-yaml.ts';

type Dict = Record<string, unknown>;

/** Loads another file named by `extends.file` (project-relative path): interpolated, checked, its relative paths rebased. */
export type LoadExtendedFile = (path: string) => Dict;

/** The file's services with every `extends` resolved (and the key gone). */
export function resolveExtends(doc: Dict, file: string, loadFile: LoadExtendedFile): Dict {
  const services = doc['services'] as Dict | undefined;
  if (!services || typeof services !== 'object') return doc;
  const resolved: Dict = {};
  for (const name of Object.keys(services)) resolved[name] = resolveService(name, doc, file, loadFile, []);
  return { ...doc, services: resolved };
}

function resolveService(name: string, doc: Dict, file: string, loadFile: LoadExtendedFile, trail: readonly string[]): unknown {
  const service = (doc['services'] as Dict | undefined)?.[name];
  if (service === undefined) throw new ComposeFileError(`cannot extend service "${name}" in ${file}: service not found`);
  if (!service || typeof service !== 'object' || !('extends' in service)) return service;
  const { extends: ref, ...own } = service as Dict;
  if (trail.includes(`${file}:${name}`)) {
    const chain = [...trail, `${file}:${name}`];
    // Within one file the services' names say it all; across files each is named with its file.
    const names = chain.every((t) => t.startsWith(`${file}:`)) ? chain.map((t) => t.slice(file.length + 1)) : chain;
    throw new ComposeFileError(`circular reference with extends in ${file}: ${names.join(' -> ')}`);
  }
  const { service: baseName, file: baseFile } =
    typeof ref === 'string' ? { service: ref, file: undefined } : ((ref ?? {}) as { service?: unknown; file?: unknown });
  const otherPath = typeof baseFile === 'string' ? joinPath(dirName(file), baseFile) : file;
  const otherDoc = otherPath === file ? doc : loadFile(otherPath);
  const base = resolveService(String(baseName), otherDoc, otherPath, loadFile, [...trail, `${file}:${name}`]);
  return mergeService(withoutTags(base), own);
}
