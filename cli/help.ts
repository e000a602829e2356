// Usage text and argument-count errors, in the layout and words of docker's cobra templates.
import type { ArgRule, Command, CommandRegistry } from './command.ts';
import { type FlagSpec, flagUsages } from './flags.ts';

const NAME_PAD = 12;
const row = (name: string, short: string) => `  ${name.padEnd(NAME_PAD)}${short}`;

/** Global options of `docker` itself. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [{ name: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' }];

/** `docker pull --help`. `path` is the command as invoked (`docker pull` or `docker image pull`). */
export function commandHelp(path: string, cmd: Command): string {
  let s = `\nUsage:  ${path} ${cmd.usage}\n\n${cmd.short}\n`;
  if (cmd.names.length > 1) s += `\nAliases:\n  ${cmd.names.map((n) => `docker ${n}`).join(', ')}\n`;
  if (cmd.flags.length) s += `\nOptions:\n${flagUsages(cmd.flags)}\n`;
  return s;
}

/** `docker image --help`. */
export function groupHelp(registry: CommandRegistry, group: string): string {
  const g = registry.group(group);
  const cmds = registry.subcommands(group).map(({ name, command }) => row(name, command.short));
  return (
    `\nUsage:  docker ${group} COMMAND\n\n${g?.short ?? ''}\n\nCommands:\n${cmds.join('\n')}\n\n` +
    `Run 'docker ${group} COMMAND --help' for more information on a command.\n`
  );
}

/** `docker --help`. */
export function rootHelp(registry: CommandRegistry): string {
  const top = registry.topLevel();
  const common = top.filter((t) => t.command.common !== undefined);
  common.sort((a, b) => a.command.common! - b.command.common!);
  const others = top.filter((t) => !common.includes(t));
  const groups = [...registry.groups()].sort((a, b) => a.name.localeCompare(b.name));
  return (
    `\nUsage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\n` +
    `Common Commands:\n${common.map((t) => row(t.name, t.command.short)).join('\n')}\n\n` +
    `Management Commands:\n${groups.map((g) => row(g.name, g.short)).join('\n')}\n\n` +
    `Commands:\n${others.map((t) => row(t.name, t.command.short)).join('\n')}\n\n` +
    `Global Options:\n${flagUsages(GLOBAL_FLAGS)}\n\n` +
    `Run 'docker COMMAND --help' for more information on a command.\n`
  );
}

const plural = (n: number) => (n === 1 ? 'argument' : 'arguments');

/** docker's cli.ExactArgs / RequiresMinArgs / … messages, or undefined when `n` is allowed. */
export function argCountError(path: string, cmd: Command, n: number): string | undefined {
  const rule: ArgRule = cmd.args;
  let what: string | undefined;
  if (rule === 'none') {
    if (n > 0) what = 'accepts no arguments';
  } else if ('exactly' in rule) {
    if (n !== rule.exactly) what = `requires exactly ${rule.exactly} ${plural(rule.exactly)}`;
  } else if ('min' in rule && rule.max !== undefined) {
    if (n < rule.min || n > rule.max) what = `requires at least ${rule.min} and at most ${rule.max} ${plural(rule.max)}`;
  } else if ('min' in rule) {
    if (n < rule.min) what = `requires at least ${rule.min} ${plural(rule.min)}`;
  } else if (n > rule.max) {
    what = `requires at most ${rule.max} ${plural(rule.max)}`;
  }
  if (!what) return undefined;
  return `"${path}" ${what}.\nSee '${path} --help'.\n\nUsage:  ${path} ${cmd.usage}\n\n${cmd.short}`;
}
