import { BuildStepError } from '../build-errors.ts';

/** `RUN --mount=…` as the browser builder runs it: a cache kept between builds, or a tmpfs. */
export type RunMount =
  | { readonly type: 'cache'; readonly target: string; readonly id: string; readonly readOnly: boolean }
  | { readonly type: 'tmpfs'; readonly target: string };

const KEYS = new Set([
  'type',
  'target',
  'dst',
  'destination',
  'id',
  'sharing',
  'readonly',
  'ro',
  'readwrite',
  'rw',
  'mode',
  'uid',
  'gid',
  'size',
  'from',
  'source',
  'src',
  'required',
]);

/**
 * One `--mount=` of a RUN, with BuildKit's fields (`type=cache,target=/root/.cache,id=x`).
 * Bind mounts (BuildKit's default type), secrets and SSH agents need files or sockets from the
 * client that a page does not have in that form: they are refused by name, not ignored.
 */
export function parseRunMount(spec: string): RunMount {
  const fields = new Map<string, string | undefined>();
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    if (!KEYS.has(key)) throw new BuildStepError(`unexpected key '${key}' in '${field}'`);
    fields.set(key, eq < 0 ? undefined : field.slice(eq + 1));
  }
  const type = fields.get('type') ?? 'bind';
  const target = fields.get('target') ?? fields.get('dst') ?? fields.get('destination');
  if (type === 'bind' || type === 'secret' || type === 'ssh') {
    throw new BuildStepError(`RUN --mount=type=${type} is not supported by the browser builder: COPY the files the step needs instead`);
  }
  if (type !== 'cache' && type !== 'tmpfs') throw new BuildStepError(`unsupported mount type "${type}"`);
  if (!target) throw new BuildStepError('mount target is required');
  const flag = (k: string) => fields.has(k) && fields.get(k) !== 'false';
  if (type === 'tmpfs') return { type, target };
  return { type, target, id: fields.get('id') ?? target, readOnly: flag('readonly') || flag('ro') };
}
