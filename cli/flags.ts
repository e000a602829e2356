// Command-line flags as docker parses them (spf13/pflag): `--name value`, `--name=value`,
// `-q`, combined `-aq`, `-ofile`, `-o=file`, `--` to end flags; with pflag's error wording.

export type FlagType = 'bool' | 'string' | 'stringArray' | 'int';

export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: FlagType;
  readonly description: string;
  /** Shown after the flag name in help (pflag's "varname"); defaults to the type name. */
  readonly valueName?: string;
  readonly default?: string | boolean | number;
  /** Accepted but left out of help (docker's deprecated spellings). */
  readonly hidden?: boolean;
  /** Rejects a value at parse time (an error of the flag, exit 125), returning why. */
  readonly check?: (raw: string) => string | undefined;
}

export type FlagValue = string | boolean | number | string[];

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export interface ParsedArgs {
  readonly args: string[];
  readonly values: ReadonlyMap<string, FlagValue>;
  readonly help: boolean;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function flagLabel(f: FlagSpec): string {
  return f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
}

function convert(f: FlagSpec, raw: string): string | boolean | number {
  const problem = f.check?.(raw);
  if (problem) throw new FlagError(`invalid argument "${raw}" for "${flagLabel(f)}" flag: ${problem}`);
  if (f.type === 'bool') {
    if (TRUE.has(raw)) return true;
    if (FALSE.has(raw)) return false;
    throw new FlagError(`invalid argument "${raw}" for "${flagLabel(f)}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
  }
  if (f.type === 'int') {
    if (!/^[-+]?\d+$/.test(raw))
      throw new FlagError(`invalid argument "${raw}" for "${flagLabel(f)}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
    // pflag refuses what does not fit an int64; here what a double cannot hold exactly.
    const n = Number(raw);
    if (!Number.isSafeInteger(n))
      throw new FlagError(`invalid argument "${raw}" for "${flagLabel(f)}" flag: strconv.ParseInt: parsing "${raw}": value out of range`);
    return n;
  }
  return raw;
}

/**
 * Parses `argv` against `specs`. `--help`/`-h` are always known. With `interspersed` false (as for
 * `docker run`), the first non-flag argument ends the flags.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], interspersed = true): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const values = new Map<string, FlagValue>();
  const args: string[] = [];
  let help = false;

  const set = (f: FlagSpec, raw: string) => {
    const v = convert(f, raw);
    if (f.type === 'stringArray') values.set(f.name, [...((values.get(f.name) as string[] | undefined) ?? []), raw]);
    else values.set(f.name, v);
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      if (name === 'help') {
        help = true;
        continue;
      }
      const f = byName.get(name);
      if (!f) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) set(f, a.slice(eq + 1));
      else if (f.type === 'bool') set(f, 'true');
      else if (i + 1 < argv.length) set(f, argv[++i]!);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === 'h' && !byShort.has('h')) {
          help = true;
          continue;
        }
        const f = byShort.get(c);
        if (!f) throw new FlagError(`unknown shorthand flag: '${c}' in -${a.slice(j)}`);
        const rest = a.slice(j + 1);
        if (f.type === 'bool') {
          if (rest.startsWith('=')) {
            set(f, rest.slice(1));
            break;
          }
          set(f, 'true');
          continue;
        }
        if (rest) set(f, rest.startsWith('=') ? rest.slice(1) : rest);
        else if (i + 1 < argv.length) set(f, argv[++i]!);
        else throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
        break;
      }
      continue;
    }
    args.push(a);
    if (!interspersed) {
      args.push(...argv.slice(i + 1));
      break;
    }
  }
  return { args, values, help };
}

/** Typed access to parsed flag values, with each flag's default. */
export class Flags {
  constructor(
    private readonly specs: readonly FlagSpec[],
    private readonly values: ReadonlyMap<string, FlagValue>,
  ) {}

  private spec(name: string): FlagSpec {
    const s = this.specs.find((f) => f.name === name);
    if (!s) throw new Error(`flag --${name} is not declared`);
    return s;
  }

  /** Whether the flag was given (as opposed to left at its default). */
  has(name: string): boolean {
    this.spec(name);
    return this.values.has(name);
  }

  bool(name: string): boolean {
    return (this.values.get(name) ?? this.spec(name).default ?? false) as boolean;
  }

  string(name: string): string {
    return String(this.values.get(name) ?? this.spec(name).default ?? '');
  }

  int(name: string): number {
    return Number(this.values.get(name) ?? this.spec(name).default ?? 0);
  }

  strings(name: string): string[] {
    this.spec(name);
    return [...((this.values.get(name) as string[] | undefined) ?? [])];
  }
}

/** pflag's `FlagUsages`: sorted by name, descriptions aligned, continuation lines indented. */
export function flagUsages(specs: readonly FlagSpec[]): string {
  const rows = specs
    .filter((f) => !f.hidden)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((f) => {
      let left = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
      const varname = f.valueName ?? (f.type === 'bool' ? '' : f.type);
      if (varname) left += ` ${varname}`;
      let usage = f.description;
      if (f.default !== undefined && f.default !== false && f.default !== '' && f.default !== 0) {
        usage += typeof f.default === 'string' ? ` (default ${JSON.stringify(f.default)})` : ` (default ${f.default})`;
      }
      return { left, usage };
    });
  const max = Math.max(0, ...rows.map((r) => r.left.length));
  return rows.map(({ left, usage }) => `${left}${' '.repeat(max - left.length + 3)}${usage.replace(/\n/g, `\n${' '.repeat(max + 3)}`)}`).join('\n');
}
