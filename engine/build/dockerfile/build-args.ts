import { formatPlatform, type Platform } from '../../../core/oci/platform.ts';
import type { ArgDeclaration } from './dockerfile-model.ts';
import { expandWord, type Lookup } from './expand-word.ts';

/** ARGs Docker defines for every build; usable after `ARG NAME` without a value. */
export function platformArgs(target: Platform, build: Platform = target): Record<string, string> {
  return {
    TARGETPLATFORM: formatPlatform(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? '',
    BUILDPLATFORM: formatPlatform(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: build.variant ?? '',
  };
}

/** Build args that need no ARG to reach RUN's environment (Docker's predefined proxy args). */
const PROXY_ARGS: ReadonlySet<string> = new Set(['HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY', 'ALL_PROXY'].flatMap((n) => [n, n.toLowerCase()]));

/**
 * Docker's ARG scoping. Global ARGs (before the first FROM) are visible in FROM lines only; a
 * stage sees an ARG from its `ARG NAME` on, valued by `--build-arg`, else the default (which may
 * use earlier ARGs and ENVs), else the global or predefined value of that name.
 */
export class ArgScope {
  private readonly used = new Set<string>();
  private readonly globals = new Map<string, string>();

  constructor(
    private readonly buildArgs: Readonly<Record<string, string>>,
    private readonly predefined: Readonly<Record<string, string>>,
    globalArgs: readonly ArgDeclaration[],
    private readonly escapeChar: '\\' | '`' = '\\',
  ) {
    for (const a of globalArgs) {
      const v = this.value(a, (n) => this.globals.get(n) ?? this.predefined[n], undefined);
      if (v !== undefined) this.globals.set(a.name, v);
    }
  }

  /** What FROM lines see: global ARGs, then the predefined platform ARGs. */
  readonly fromLookup: Lookup = (n) => this.globals.get(n) ?? this.predefined[n];

  /** A new stage's ARGs: none until declared. */
  stage(): StageArgs {
    const args = new Map<string, string>();
    return {
      declare: (a, env) => {
        const v = this.value(a, (n) => env(n) ?? args.get(n), this.globals.get(a.name) ?? this.predefined[a.name]);
        if (v !== undefined) args.set(a.name, v);
        return v;
      },
      lookup: (n) => args.get(n),
      values: () => args,
    };
  }

  /** Docker's warning for `--build-arg`s no ARG declared (predefined and proxy args excepted). */
  unusedWarning(): string | undefined {
    // SOURCE_DATE_EPOCH is the builder's own (the time it writes), used without an ARG.
    const unused = Object.keys(this.buildArgs).filter((k) => !this.used.has(k) && !(k in this.predefined) && !PROXY_ARGS.has(k) && k !== 'SOURCE_DATE_EPOCH');
    return unused.length ? `[Warning] One or more build-args [${unused.sort().join(' ')}] were not consumed` : undefined;
  }

  private value(a: ArgDeclaration, lookup: Lookup, inherited: string | undefined): string | undefined {
    if (Object.hasOwn(this.buildArgs, a.name)) {
      this.used.add(a.name);
      return this.buildArgs[a.name];
    }
    return a.default !== undefined ? expandWord(a.default, lookup, this.escapeChar) : inherited;
  }
}

export interface StageArgs {
  /** `ARG a[=d]` in the stage: its value from now on (`env` is the stage's ENV, for the default). */
  declare(arg: ArgDeclaration, env: Lookup): string | undefined;
  /** The stage's declared ARGs (ENV, which wins over ARG, is the caller's to consult first). */
  lookup: Lookup;
  /** The declared ARGs with values: RUN gets them in its environment. */
  values(): ReadonlyMap<string, string>;
}
