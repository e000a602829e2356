// `extends`: the spec's own examples (05-services.md), across files, and its errors.
import { describe, expect, it } from 'vitest';
import { resolveExtends } from '../../../engine/compose/model/compose-extends.ts';
import { parseComposeYaml } from '../../../engine/compose/model/compose-yaml.ts';

const doc = (text: string) => parseComposeYaml('compose.yaml', text).value;
const services = (d: Record<string, unknown>) => d['services'] as Record<string, unknown>;
const noOtherFiles = (path: string): never => {
  throw new Error(`unexpected read of ${path}`);
};

describe('resolveExtends', () => {
  it('merges a service over its base, recursively, and drops the extends key', () => {
    const resolved = resolveExtends(
      doc(
        'services:\n  base:\n    image: busybox\n    user: root\n  common:\n    image: busybox\n    extends: {service: base}\n  cli:\n    extends:\n      service: common\n    environment: [PORT=8080]\n',
      ),
      'compose.yaml',
      noOtherFiles,
    );
    expect(services(resolved)['cli']).toEqual({ image: 'busybox', user: 'root', environment: { PORT: '8080' } });
    expect(services(resolved)['common']).toEqual({ image: 'busybox', user: 'root' });
  });

  it('takes a base from another file, named relative to the file that extends', () => {
    const loaded: string[] = [];
    const resolved = resolveExtends(
      doc('services:\n  web:\n    extends: {file: ../common/base.yml, service: app}\n    image: mine\n'),
      'sub/compose.yaml',
      (path) => {
        loaded.push(path);
        return doc('services:\n  app:\n    image: theirs\n    restart: always\n');
      },
    );
    expect(loaded).toEqual(['common/base.yml']);
    expect(services(resolved)['web']).toEqual({ image: 'mine', restart: 'always' });
  });

  it('refuses a cycle and a missing service', () => {
    expect(() => resolveExtends(doc('services:\n  a: {extends: b}\n  b: {extends: c}\n  c: {extends: a}\n'), 'compose.yaml', noOtherFiles)).toThrow(
      'circular reference with extends in compose.yaml: a -> b -> c -> a',
    );
    expect(() => resolveExtends(doc('services:\n  a: {extends: a}\n'), 'compose.yaml', noOtherFiles)).toThrow(
      'circular reference with extends in compose.yaml: a -> a',
    );
    expect(() => resolveExtends(doc('services:\n  a:\n    extends: {service: x, file: o.yml}\n'), 'compose.yaml', () => doc('services: {}\n'))).toThrow(
      'cannot extend service "x" in o.yml: service not found',
    );
  });
});
