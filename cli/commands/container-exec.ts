// `docker exec`: another process in a running container, its exit status the command's.
import { CannotRunError, CommandNotFoundError, type ExecHandle, hasKernelTerminal, parseSignal } from '../../engine/index.ts';
import { AttachSession } from '../attach.ts';
import { CliError, type Command, daemonError } from '../command.ts';
import { parseEnvFile } from './container-run.ts';

const DETACHED = 130;

/** An exec handle that can deliver signals, where the engine offers it. */
type KillableExec = ExecHandle & { kill?(signal: number): Promise<void> };

const exec: Command = {
  names: ['container exec', 'exec'],
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  short: 'Execute a command in a running container',
  args: { min: 2 },
  interspersed: false,
  common: 2,
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
    { name: 'env', short: 'e', type: 'stringArray', valueName: 'list', description: 'Set environment variables' },
    { name: 'env-file', type: 'stringArray', valueName: 'list', description: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', type: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const [container, ...cmd] = ctx.args as [string, ...string[]];
    const detach = f.bool('detach');
    const tty = f.bool('tty');
    const stdin = f.bool('interactive') && !detach;
    if (stdin && tty && !ctx.io.isTTY) throw new CliError('the input device is not a TTY');
    const env: string[] = [];
    for (const file of f.strings('env-file')) {
      const bytes = ctx.io.files.get(file);
      if (!bytes) throw new CliError(`open ${file}: no such file or directory`);
      try {
        env.push(...parseEnvFile(new TextDecoder().decode(bytes)));
      } catch (e) {
        throw new CliError((e as Error).message);
      }
    }
    env.push(...f.strings('env').filter((e) => e.includes('=')));
    const session = new AttachSession(ctx.io, { tty, stdin, sigProxy: true, rawInput: hasKernelTerminal(ctx.engine.containers.inspect(container)) });
    let handle: KillableExec;
    try {
      handle = await ctx.engine.containers.exec(container, {
        cmd,
        ...(env.length ? { env } : {}),
        ...(f.has('workdir') ? { workdir: f.string('workdir') } : {}),
        ...(f.has('user') ? { user: f.string('user') } : {}),
        tty,
        openStdin: stdin,
        ...(detach ? {} : session.listeners),
      });
    } catch (e) {
      const code = e instanceof CommandNotFoundError ? 127 : e instanceof CannotRunError ? 126 : 1;
      throw new CliError(daemonError(e), code);
    }
    if (detach) return 0;
    session.begin({
      write: (d) => handle.write(d),
      // The engine's exec handles may not deliver signals: then Ctrl-C leaves the process running.
      interrupt: () => (handle.kill ? handle.kill(parseSignal('SIGINT')) : Promise.resolve(session.detach())),
      resize: (c, r) => handle.resize(c, r),
    });
    const r = await Promise.race([handle.exit, session.detached]);
    session.end();
    if (r === 'detached') return DETACHED;
    if ((r.code === 126 || r.code === 127) && r.error) ctx.io.stderr(`${daemonError(r.error)}\n`);
    return r.code;
  },
};

export const containerExecCommands: readonly Command[] = [exec];
