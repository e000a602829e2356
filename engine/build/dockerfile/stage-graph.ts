import { StageReferenceError } from './build-errors.ts';
import type { Dockerfile, StageDeclaration } from './dockerfile-model.ts';
import { expandWord, type Lookup } from './expand-word.ts';
import { withSuggestion } from './suggest.ts';

/**
 * The stages a build of `target` (default: the last stage) runs, each after those it needs: its
 * FROM stage, `COPY --from=` and `RUN --mount=from=` stages, by name or index, transitively. A
 * reference that is neither a stage name nor an earlier index is an image, not a stage.
 * `lookup` gives the global ARGs, for references written with variables (`FROM ${BASE}`).
 */
export function stagesNeeded(df: Dockerfile, target?: string, lookup: Lookup = () => undefined): number[] {
  const stage = target === undefined ? df.stages.at(-1) : df.stages.find((s) => s.name === target.toLowerCase());
  if (!stage) {
    const names = df.stages.flatMap((s) => (s.name ? [s.name] : []));
    throw new StageReferenceError(withSuggestion(`target stage ${JSON.stringify(target)} could not be found`, target ?? '', names, true));
  }
  const order: number[] = [];
  const visiting = new Set<number>();
  const visit = (s: StageDeclaration) => {
    if (order.includes(s.index)) return;
    if (visiting.has(s.index)) throw new StageReferenceError(`circular dependency detected on stage: ${s.name ?? s.index}`);
    visiting.add(s.index);
    for (const dep of stageDependencies(df, s, lookup)) visit(df.stages[dep]!);
    visiting.delete(s.index);
    order.push(s.index);
  };
  visit(stage);
  return order;
}

/** The stages `s` reads (its FROM stage, `COPY --from=`, `RUN --mount=from=`), by index: they must be built first. */
export function stageDependencies(df: Dockerfile, s: StageDeclaration, lookup: Lookup): number[] {
  const esc = df.directives.escape;
  const byRef = (ref: string, allowIndex: boolean) => {
    const r = expandWord(ref, lookup, esc).toLowerCase();
    return df.stages.find((d) => d.name === r && d !== s) ?? (allowIndex && /^\d+$/.test(r) ? df.stages[Number(r)] : undefined);
  };
  const deps: (StageDeclaration | undefined)[] = [df.stages.find((d) => d.name === expandWord(s.from, lookup, esc).toLowerCase() && d.index < s.index)];
  for (const ins of s.instructions) {
    if ((ins.kind === 'COPY' || ins.kind === 'ADD') && ins.from !== undefined) deps.push(byRef(ins.from, true));
    if (ins.kind === 'RUN')
      for (const mount of ins.mounts ?? [])
        for (const field of mount.split(',')) {
          const [k, v] = field.split('=', 2);
          if (k?.trim().toLowerCase() === 'from' && v !== undefined) deps.push(byRef(v.trim(), true));
        }
  }
  return [...new Set(deps.filter((d): d is StageDeclaration => d !== undefined && d !== s).map((d) => d.index))];
}
