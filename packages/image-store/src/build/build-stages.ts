import type { Containerfile } from './containerfile.js';

/** The index of the stage `ref` names: a stage's name (any case) or a number; undefined for an image. */
export function stageIndex(file: Containerfile, ref: string): number | undefined {
  const lower = ref.toLowerCase();
  return file.stages.find((s) => s.name === lower)?.index ?? (/^\d+$/.test(ref) ? Number(ref) : undefined);
}

/** The stages the target needs (FROM a stage, COPY --from a stage), in order. */
export function neededStages(file: Containerfile, target: number): Set<number> {
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    const stage = file.stages[i]!;
    const from = stageIndex(file, stage.from);
    if (from !== undefined && from < i) visit(from);
    for (const ins of stage.instructions) {
      if (ins.kind === 'COPY' && ins.from !== undefined) {
        const s = stageIndex(file, ins.from);
        if (s !== undefined && s < i) visit(s);
      }
    }
  };
  visit(target);
  return needed;
}
