// The `docker` command line over the Engine API: finds the command, parses its flags, runs it
// and turns failures into docker's messages and exit statuses (1 for errors, 125 for bad flags).
import type { Engine } from '../engine/index.ts';
import { ShellSyntaxError, splitCommandLine } from '../engine/index.ts';
import { CliError, type CliInput, type CliIO, type Command, type CommandContext, CommandRegistry, daemonError } from './command.ts';
import { buildCommands, builderGroup, buildxGroup } from './commands/build.ts';
import { commitCommands } from './commands/commit.ts';
import { composeArgv, composeCommands, composeGroup } from './commands/compose.ts';
import { containerCommands, containerGroup } from './commands/container.ts';
import { containerCpCommands } from './commands/container-cp.ts';
import { containerExecCommands } from './commands/container-exec.ts';
import { containerLogsCommands } from './commands/container-logs.ts';
import { containerLsCommands } from './commands/container-ls.ts';
import { containerPortCommands } from './commands/container-port.ts';
import { containerRunCommands } from './commands/container-run.ts';
import { imageCommands, imageGroup } from './commands/image.ts';
import { inspectCommands } from './commands/inspect.ts';
import { networkCommands, networkGroup } from './commands/network.ts';
import { nodeCommands, nodeGroup } from './commands/node.ts';
import { serviceCommands, serviceGroup } from './commands/service.ts';
import { stackCommands, stackGroup } from './commands/stack.ts';
import { systemCommands, systemGroup } from './commands/system.ts';
import { volumeCommands, volumeGroup } from './commands/volume.ts';
import { FlagError, Flags, parseFlags } from './flags.ts';
import { TemplateError } from './format-template.ts';
import { argCountError, commandHelp, GLOBAL_FLAGS, groupHelp, rootHelp } from './help.ts';
import { CLI_VERSION } from './version.ts';
import { VirtualFiles } from './virtual-files.ts';

export type { CliIO } from './command.ts';
export { VirtualFiles } from './virtual-files.ts';

/** Every command the CLI knows; a new command group is one more `addGroup`/`add` here. */
const registry = new CommandRegistry()
  .addGroup(builderGroup)
  .addGroup(buildxGroup)
  .addGroup(composeGroup)
  .addGroup(containerGroup)
  .addGroup(imageGroup)
  .addGroup(networkGroup)
  .addGroup(nodeGroup)
  .addGroup(serviceGroup)
  .addGroup(stackGroup)
  .addGroup(systemGroup)
  .addGroup(volumeGroup)
  .add(containerRunCommands)
  .add(containerExecCommands)
  .add(containerLsCommands)
  .add(containerLogsCommands)
  .add(containerCpCommands)
  .add(containerPortCommands)
  .add(buildCommands)
  .add(commitCommands)
  .add(composeCommands)
  .add(containerCommands)
  .add(imageCommands)
  .add(inspectCommands)
  .add(networkCommands)
  .add(nodeCommands)
  .add(serviceCommands)
  .add(stackCommands)
  .add(systemCommands)
  .add(volumeCommands);

/** Exit status of a command interrupted by Ctrl-C, as a shell reports it (128 + SIGINT). */
const INTERRUPTED = 130;

/**
 * Runs one `docker` command line: `argv` as words or as a string with shell quoting, with or
 * without the leading `docker`. Resolves to the exit status; output goes to `io`.
 */
export async function runDocker(engine: Engine, argv: readonly string[] | string, io: CliIO): Promise<number> {
  let words: string[];
  try {
    words = typeof argv === 'string' ? splitCommandLine(argv) : [...argv];
  } catch (e) {
    if (!(e instanceof ShellSyntaxError)) throw e;
    io.stderr(`sh: syntax error: ${e.message}\n`);
    return 2;
  }
  if (words[0] === 'docker') words.shift();

  let global;
  try {
    global = parseFlags(words, GLOBAL_FLAGS, false);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    io.stderr(`${e.message}\nSee 'docker --help'.\n`);
    return 125;
  }
  if (global.help) {
    io.stdout(rootHelp(registry));
    return 0;
  }
  if (global.values.get('version')) {
    io.stdout(`Docker version ${CLI_VERSION}, build browser\n`);
    return 0;
  }
  const [first, ...rest] = global.args;
  if (first === undefined) {
    io.stderr(rootHelp(registry));
    return 0;
  }
  if (first === 'help') return help(rest, io);
  if (first === 'compose') {
    let parsed;
    try {
      parsed = composeArgv(rest);
    } catch (e) {
      if (!(e instanceof FlagError)) throw e;
      io.stderr(`${e.message}\nSee 'docker compose --help'.\n`);
      return 125;
    }
    const cmd = parsed.sub && registry.find(`compose ${parsed.sub}`);
    if (!cmd) {
      (parsed.sub === '--help' ? io.stdout : io.stderr)(groupHelp(registry, 'compose'));
      return parsed.sub === undefined || parsed.sub === '--help' ? 0 : 1;
    }
    return runCommand(engine, cmd, `docker compose ${parsed.sub}`, parsed.argv, io);
  }
  if (registry.group(first)) {
    const sub = rest[0];
    if (sub === undefined) {
      io.stderr(groupHelp(registry, first));
      return 0;
    }
    if (sub === '--help' || sub === '-h') {
      io.stdout(groupHelp(registry, first));
      return 0;
    }
    const cmd = registry.find(`${first} ${sub}`);
    if (!cmd) {
      io.stderr(groupHelp(registry, first));
      return 1;
    }
    return runCommand(engine, cmd, `docker ${first} ${sub}`, rest.slice(1), io);
  }
  const cmd = registry.find(first);
  if (!cmd) {
    io.stderr(`docker: '${first}' is not a docker command.\nSee 'docker --help'\n`);
    return 1;
  }
  return runCommand(engine, cmd, `docker ${first}`, rest, io);
}

/** `docker help [COMMAND…]`. */
function help(topic: readonly string[], io: CliIO): number {
  if (topic.length === 0) io.stdout(rootHelp(registry));
  else if (topic.length === 1 && registry.group(topic[0]!)) io.stdout(groupHelp(registry, topic[0]!));
  else {
    const cmd = registry.find(topic.slice(0, 2).join(' ')) ?? registry.find(topic[0]!);
    if (cmd) io.stdout(commandHelp(`docker ${cmd.names.find((n) => topic.join(' ').startsWith(n)) ?? topic[0]}`, cmd));
    else io.stdout(`Unknown help topic [\`${topic.join(' ')}\`]\n${rootHelp(registry)}`);
  }
  return 0;
}

async function runCommand(engine: Engine, cmd: Command, path: string, argv: readonly string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(argv, cmd.flags, cmd.interspersed ?? true);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    io.stderr(`${e.message}\nSee '${path} --help'.\n`);
    return 125;
  }
  if (parsed.help) {
    io.stdout(commandHelp(path, cmd));
    return 0;
  }
  const argError = argCountError(path, cmd, parsed.args.length);
  if (argError) {
    io.stderr(`${argError}\n`);
    return 1;
  }
  const ctx: CommandContext = {
    engine,
    io,
    path,
    args: parsed.args,
    flags: new Flags(cmd.flags, parsed.values),
    signal: io.signal,
    out: (s) => io.stdout(`${s}\n`),
  };
  try {
    const code = (await cmd.run(ctx)) ?? 0;
    return io.signal?.aborted ? INTERRUPTED : code;
  } catch (e) {
    if (io.signal?.aborted) return INTERRUPTED;
    if (e instanceof CliError) {
      io.stderr(`${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof TemplateError) {
      io.stderr(`template parsing error: ${e.message}\n`);
      return 1;
    }
    // Everything else came from the engine, which stands where docker's daemon does.
    io.stderr(`${daemonError(e)}\n`);
    return 1;
  }
}

/** Input piped in (`echo hi | docker run -i …`): all of `data`, then the end. */
function pipedInput(data: string): CliInput {
  return {
    read(onData, onEnd) {
      let stopped = false;
      queueMicrotask(() => {
        if (stopped) return;
        if (data) onData(data);
        onEnd();
      });
      return () => {
        stopped = true;
      };
    },
  };
}

export interface DockerCommandOptions {
  readonly signal?: AbortSignal;
  readonly columns?: number;
  /** Standard input, as if piped in; without it, stdin is empty. */
  readonly stdin?: string;
}

/** One non-interactive command (no TTY), its output collected. */
export async function dockerCommand(
  engine: Engine,
  cmdline: string,
  files: VirtualFiles = new VirtualFiles(),
  opts: DockerCommandOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runDocker(engine, cmdline, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    isTTY: false,
    columns: opts.columns ?? 80,
    files,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.stdin !== undefined ? { stdin: pipedInput(opts.stdin) } : {}),
  });
  return { code, stdout, stderr };
}
