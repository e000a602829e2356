import { InvalidParameterError } from '../../../core/errors.ts';
import { DockerfileParseError } from './build-errors.ts';
import type { ArgDeclaration, CommandForm, Dockerfile, Heredoc, Instruction, StageDeclaration } from './dockerfile-model.ts';
import { parseHeredocWord, type ScannedLine, scanDockerfile } from './scan-dockerfile.ts';
import { withSuggestion } from './suggest.ts';

/**
 * A Dockerfile parsed as BuildKit's parser and instructions packages do, with their error texts.
 * Words stay unexpanded (the builder expands them as it runs each instruction).
 */
export function parseDockerfile(text: string): Dockerfile {
  if (text.length === 0) throw new InvalidParameterError('the Dockerfile cannot be empty');
  const scanned = scanDockerfile(text, (line) => splitCommand(line, '\\').json);
  const last = scanned.lines.at(-1);
  if (!last) throw new DockerfileParseError(text.split('\n').length, 'file with no instructions', false);
  const globalArgs: ArgDeclaration[] = [];
  const stages: (StageDeclaration & { instructions: Instruction[] })[] = [];
  for (const line of scanned.lines) {
    const parsed = parseLine(line, scanned.escapeChar);
    if ('stage' in parsed) {
      const { name } = parsed.stage;
      if (name !== undefined && stages.some((s) => s.name === name)) throw new DockerfileParseError(line.line, `duplicate stage name "${name}"`);
      stages.push({ ...parsed.stage, index: stages.length, instructions: [] });
    } else if (stages.length === 0 && parsed.kind === 'ARG') globalArgs.push(...parsed.args);
    else if (stages.length === 0) throw new DockerfileParseError(line.line, 'no build stage in current context', false);
    else stages.at(-1)!.instructions.push(parsed);
  }
  if (stages.length === 0) throw new InvalidParameterError('dockerfile contains no stages to build');
  return { directives: { ...(scanned.syntax !== undefined ? { syntax: scanned.syntax } : {}), escape: scanned.escapeChar }, globalArgs, stages };
}

const INSTRUCTIONS = [
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
];

/** The flags each instruction accepts, by BuildKit's BFlags type; others are `unknown flag`. */
const FLAGS: Record<string, Record<string, 'string' | 'bool' | 'strings'>> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'strings', network: 'string', security: 'string', device: 'strings' },
  COPY: { chown: 'string', from: 'string', chmod: 'string', link: 'bool', exclude: 'strings', parents: 'bool' },
  ADD: { chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string', unpack: 'bool', exclude: 'strings' },
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

const WHITESPACE = /[\t\v\f\r ]+/;
const STAGE_NAME = /^[a-z][a-z0-9\-_.]*$/;

type Parsed = Instruction | { readonly stage: Omit<StageDeclaration, 'index' | 'instructions'> };

function parseLine(scanned: ScannedLine, escapeChar: string): Parsed {
  const { line } = scanned;
  const fail = (detail: string): never => {
    throw new DockerfileParseError(line, detail);
  };
  const split = splitCommand(scanned.text, escapeChar);
  const kind = split.command.toUpperCase();
  if (!INSTRUCTIONS.includes(kind)) fail(withSuggestion(`unknown instruction: ${split.command}`, split.command, INSTRUCTIONS, false));
  const text = scanned.text.trim();
  const base = { line, text };
  const { rest, json } = split;
  const flags = () => parseFlags(split.flags, FLAGS[kind] ?? {}, fail);
  switch (kind) {
    case 'FROM': {
      const args = fields(rest);
      const f = flags();
      let name: string | undefined;
      if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
        name = args[2]!.toLowerCase();
        if (!STAGE_NAME.test(name)) fail(`invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`);
      } else if (args.length !== 1) fail('FROM requires either one or three arguments');
      const platform = f.values['platform'];
      return { stage: { from: args[0]!, line, ...(name !== undefined ? { name } : {}), ...(platform !== undefined ? { platform } : {}) } };
    }
    case 'RUN': {
      const f = flags();
      return {
        kind,
        ...base,
        command: runCommand(rest, json, scanned, fail),
        heredocs: scanned.heredocs.map(heredoc),
        flags: f.values,
        mounts: f.lists['mount'] ?? [],
      };
    }
    case 'CMD':
    case 'ENTRYPOINT':
      flags();
      return { kind, ...base, command: commandForm(rest, json, fail) };
    case 'SHELL': {
      flags();
      const c = commandForm(rest, json, fail);
      if (c.form === 'exec' && c.args.length === 0) fail('SHELL requires at least one argument');
      if (c.form === 'shell') fail(rest ? 'SHELL requires the arguments to be in JSON form' : 'SHELL requires at least one argument');
      return { kind, ...base, args: (c as { args: readonly string[] }).args };
    }
    case 'COPY':
    case 'ADD': {
      const args = json ? jsonArray(rest, fail) : fields(rest);
      if (args.length < 2) fail(`${kind} requires at least two arguments, but only one was provided. Destination could not be determined`);
      const f = flags();
      const dest = args.at(-1)!;
      if (parseHeredocWord(dest)) fail(`${kind} cannot accept a heredoc as a destination`);
      const inline = new Map(scanned.heredocs.map((h) => [h.name, h]));
      const sources = args.slice(0, -1).map((s) => parseHeredocWord(s)?.name ?? s);
      const from = f.values['from'];
      const chown = f.values['chown'];
      const chmod = f.values['chmod'];
      return {
        kind,
        ...base,
        sources,
        dest,
        ...(from !== undefined ? { from } : {}),
        ...(chown !== undefined ? { chown } : {}),
        ...(chmod !== undefined ? { chmod } : {}),
        link: f.values['link'] === 'true',
        heredocs: sources.flatMap((s, i) => {
          const h = parseHeredocWord(args[i]!) && inline.get(s);
          return h ? [heredoc(h)] : [];
        }),
        flags: f.values,
        excludes: f.lists['exclude'] ?? [],
      };
    }
    case 'ENV':
    case 'LABEL':
      flags();
      return { kind, ...base, pairs: nameValues(rest, kind, escapeChar, fail) };
    case 'ARG': {
      const words = parseWords(rest, escapeChar);
      if (words.length === 0) fail('ARG requires at least one argument');
      const args = words.map((w): ArgDeclaration => {
        const eq = w.indexOf('=');
        if (eq < 0) return { name: w };
        if (eq === 0) fail('ARG names can not be blank');
        return { name: w.slice(0, eq), default: w.slice(eq + 1) };
      });
      return { kind, ...base, args };
    }
    case 'WORKDIR':
    case 'USER':
    case 'MAINTAINER':
      if (!rest) fail(`${kind} requires exactly one argument`);
      flags();
      return { kind, ...base, value: rest };
    case 'STOPSIGNAL':
      // BuildKit reads no flags for STOPSIGNAL: `--x` is simply ignored.
      if (!rest) fail('STOPSIGNAL requires exactly one argument');
      return { kind, ...base, value: rest };
    case 'EXPOSE':
    case 'VOLUME': {
      const values = kind === 'VOLUME' && json ? jsonArray(rest, fail) : fields(rest);
      if (values.length === 0) fail(`${kind} requires at least one argument`);
      flags();
      if (kind === 'VOLUME' && values.some((v) => v.trim() === '')) fail('VOLUME specified can not be an empty string');
      return { kind, ...base, values: kind === 'VOLUME' ? values.map((v) => v.trim()) : values };
    }
    case 'HEALTHCHECK':
      return { kind, ...base, check: healthcheck(rest, split.flags, fail) };
    default: {
      // ONBUILD: the trigger is kept as written and dispatched by the build that uses this image.
      const trigger = rest.split(WHITESPACE)[0]?.toUpperCase() ?? '';
      if (!rest) fail('ONBUILD requires at least one argument');
      flags();
      if (trigger === 'ONBUILD') fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trigger === 'FROM' || trigger === 'MAINTAINER') fail(`${trigger} isn't allowed as an ONBUILD trigger`);
      const expression = scanned.text.replace(/^\s*ONBUILD\s*/i, '');
      return { kind: 'ONBUILD', ...base, trigger: expression + scanned.heredocs.map((h) => `\n${h.raw}${h.name}`).join('') };
    }
  }
}

function heredoc(h: Heredoc): Heredoc {
  return { name: h.name, content: h.content, chomp: h.chomp, quoted: h.quoted };
}

/**
 * RUN's command. A heredoc that is the whole command is the script (BuildKit's "fake heredoc",
 * for shells without heredocs); `RUN python3 <<EOF` becomes the full script with its bodies,
 * `python3 <<EOF\n…\nEOF`, for the shell to feed the body to the command, as BuildKit does.
 */
function runCommand(rest: string, json: boolean, scanned: ScannedLine, fail: (m: string) => never): CommandForm {
  const command = commandForm(rest, json, fail);
  const first = scanned.heredocs[0];
  if (command.form === 'exec' || !first) return command;
  if (scanned.heredocs.length === 1 && parseHeredocWord(command.script)) return { form: 'shell', script: first.content };
  return { form: 'shell', script: command.script + scanned.heredocs.map((h) => `\n${h.raw}${h.name}`).join('') };
}

function commandForm(rest: string, json: boolean, fail: (m: string) => never): CommandForm {
  return json ? { form: 'exec', args: jsonArray(rest, fail) } : { form: 'shell', script: rest };
}

function healthcheck(rest: string, rawFlags: readonly string[], fail: (m: string) => never): Extract<Instruction, { kind: 'HEALTHCHECK' }>['check'] {
  if (!rest) fail('HEALTHCHECK requires at least one argument');
  const [typ = ''] = rest.split(/\s/, 1);
  const after = rest.slice(typ.length).trimStart();
  const type = typ.toUpperCase();
  if (type === 'NONE') {
    if (after) fail('HEALTHCHECK NONE takes no arguments');
    return null;
  }
  const f = parseFlags(rawFlags, FLAGS['HEALTHCHECK']!, fail);
  if (type !== 'CMD') fail(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  const command = commandForm(after, isJsonArray(after), fail);
  if (command.form === 'exec' ? command.args.length === 0 : !command.script) fail('Missing command after HEALTHCHECK CMD');
  const retries = f.values['retries'];
  if (retries !== undefined) {
    if (!/^[+-]?\d+$/.test(retries)) fail(`strconv.ParseInt: parsing ${JSON.stringify(retries)}: invalid syntax`);
    if (Number(retries) < 0) fail(`--retries cannot be negative (${Number(retries)})`);
  }
  const v = f.values;
  return {
    command,
    ...(v['interval'] !== undefined ? { interval: v['interval'] } : {}),
    ...(v['timeout'] !== undefined ? { timeout: v['timeout'] } : {}),
    ...(v['start-period'] !== undefined ? { startPeriod: v['start-period'] } : {}),
    ...(v['start-interval'] !== undefined ? { startInterval: v['start-interval'] } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
}

/** BuildKit's splitCommand + extractBuilderFlags: the keyword, leading `--flag`s, the rest. */
function splitCommand(line: string, escapeChar: string): { command: string; flags: string[]; rest: string; json: boolean } {
  const trimmed = line.trim();
  const m = WHITESPACE.exec(trimmed);
  const command = m ? trimmed.slice(0, m.index) : trimmed;
  const after = m ? trimmed.slice(m.index + m[0].length) : '';
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < after.length && /\s/.test(after[pos]!)) pos++;
    if (!after.startsWith('--', pos)) break;
    let word = '';
    let blankOk = false;
    let quote = '';
    for (; pos < after.length; pos++) {
      const c = after[pos]!;
      if (quote) {
        if (c === quote) quote = '';
        else if (c === escapeChar && pos + 1 < after.length) word += after[++pos];
        else if (c !== escapeChar) word += c;
        continue;
      }
      if (/\s/.test(c)) break;
      if (c === "'" || c === '"') {
        quote = c;
        blankOk = true;
      } else if (c === escapeChar) {
        if (pos + 1 < after.length) word += after[++pos];
      } else word += c;
    }
    if (word === '--') break;
    if (blankOk || word) flags.push(word);
  }
  const rest = after.slice(pos).trim();
  return { command, flags, rest, json: isJsonArray(rest) };
}

function isJsonArray(rest: string): boolean {
  if (!rest.startsWith('[')) return false;
  try {
    return Array.isArray(JSON.parse(rest));
  } catch {
    return false;
  }
}

function jsonArray(rest: string, fail: (m: string) => never): string[] {
  const value: unknown[] = JSON.parse(rest);
  if (!value.every((v) => typeof v === 'string')) fail('when using JSON array syntax, arrays must be comprised of strings only');
  return value as string[];
}

function fields(rest: string): string[] {
  return rest ? rest.split(WHITESPACE) : [];
}

/** BuildKit's BFlags.Parse: `--name=value`, booleans as `--link` / `--link=false`. */
function parseFlags(
  raw: readonly string[],
  allowed: Record<string, 'string' | 'bool' | 'strings'>,
  fail: (m: string) => never,
): { values: Record<string, string>; lists: Record<string, string[]> } {
  const values: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  for (const a of raw) {
    const eq = a.indexOf('=');
    const flag = eq < 0 ? a : a.slice(0, eq);
    const name = flag.slice(2);
    const value = eq < 0 ? undefined : a.slice(eq + 1);
    const type = Object.hasOwn(allowed, name) ? allowed[name] : undefined;
    if (!type) fail(withSuggestion(`unknown flag: ${flag}`, name, Object.keys(allowed), true));
    if (type !== 'strings' && name in values) fail(`duplicate flag specified: ${flag}`);
    if (type === 'bool') {
      if (value === '') fail(`missing a value on flag: ${flag}`);
      const b = (value ?? 'true').toLowerCase();
      if (b !== 'true' && b !== 'false') fail(`expecting boolean value for flag ${flag}, not: ${value}`);
      values[name] = b;
    } else {
      if (value === undefined) fail(`missing a value on flag: ${flag}`);
      values[name] = value!;
      if (type === 'strings') (lists[name] ??= []).push(value!);
    }
  }
  return { values, lists };
}

/** ENV/LABEL: `k=v k2="v 2"` pairs (values as written, quotes kept), or the legacy `ENV k v w`. */
function nameValues(rest: string, kind: string, escapeChar: string, fail: (m: string) => never): [string, string][] {
  const words = parseWords(rest, escapeChar);
  if (words.length === 0) fail(`${kind} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = WHITESPACE.exec(rest);
    if (!m) fail(`${kind} must have two arguments`);
    return [[rest.slice(0, m!.index), rest.slice(m!.index + m![0].length)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) fail(`Syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`);
    if (eq === 0) fail(`${kind} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** BuildKit's parseWords: split on unquoted whitespace, keeping quotes and escapes as written. */
function parseWords(rest: string, escapeChar: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let word = '';
  let inWord = false;
  let blankOk = false;
  let quote = '';
  for (let i = 0; i < chars.length; i++) {
    let c = chars[i]!;
    if (!inWord) {
      if (/\s/u.test(c)) continue;
      inWord = true;
    }
    if (quote) {
      if (c === quote) quote = '';
      else if (c === escapeChar && quote !== "'") {
        if (i + 1 === chars.length) {
          quote = '';
          continue;
        }
        word += c;
        c = chars[++i]!;
      }
      word += c;
      continue;
    }
    if (/\s/u.test(c)) {
      if (blankOk || word) words.push(word);
      word = '';
      inWord = false;
      blankOk = false;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      blankOk = true;
    }
    if (c === escapeChar) {
      if (i + 1 === chars.length) continue;
      word += c;
      c = chars[++i]!;
    }
    word += c;
  }
  if (inWord && (blankOk || word)) words.push(word);
  return words;
}
