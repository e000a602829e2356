// The prune commands' confirmation, as docker asks it: a warning, `[y/N]`, and only `y` goes on.
import type { CommandContext } from './command.ts';
import type { FlagSpec } from './flags.ts';

/** `-f, --force` of the prune commands: skips the question. */
export const PRUNE_FORCE_FLAG: FlagSpec = { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' };

/**
 * Whether to prune: yes with --force, else the answer to `warning`. Like docker, the caller
 * cancels quietly with status 0 when this is false (a declined prompt, or no input).
 */
export async function confirmPrune(ctx: CommandContext, warning: string): Promise<boolean> {
  if (ctx.flags.bool('force')) return true;
  ctx.io.stdout(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = (await ctx.io.readLine?.()) ?? '';
  return answer.trim().toLowerCase() === 'y';
}
