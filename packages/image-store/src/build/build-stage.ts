import { throwIfAborted } from '../errors.js';
import type { ImageRecord } from '../images/image-record.js';
import { stepKey } from './build-cache.js';
import type { BuildSession, StageContext } from './build-session.js';
import { commitConfig } from './commit-config.js';
import { applyConfigInstruction } from './config-instruction.js';
import type { Instruction, Stage } from './containerfile.js';
import { parseContainerfile } from './containerfile.js';
import { copyStep } from './copy-step.js';
import { isDirInImage } from './image-view.js';
import { layerStep } from './layer-step.js';
import { runStep } from './run-step.js';
import { expandWords } from './shell-words.js';
import type { StageState } from './stage-state.js';
import { DEFAULT_SHELL } from './stage-state.js';

/** Builds one stage: its base (an earlier stage, an image or scratch), its base's ONBUILD triggers, then its instructions. */
export async function buildStage(session: BuildSession, stage: Stage): Promise<void> {
  const { store, platform } = session;
  const from = expandWords(stage.from, session.globals);
  const fromStage = session.stageRef(from);
  let base: ImageRecord | undefined;
  if (fromStage !== undefined && fromStage < stage.index && session.results.has(fromStage)) base = session.results.get(fromStage);
  else if (from.toLowerCase() !== 'scratch') base = await session.image(from);
  session.emit(stage.index, `FROM ${from}${stage.name ? ` AS ${stage.name}` : ''}`, false);
  const state: StageState = {
    image: base,
    config: structuredClone(base?.config.config ?? {}),
    key: stepKey('FROM', base?.id ?? `scratch ${platform.os}/${platform.architecture}`),
    pending: [],
    args: new Map(),
    shell: base?.config.config?.Shell ?? DEFAULT_SHELL,
    cmdSet: false,
  };
  // A base image's ONBUILD triggers run first; they are not inherited further.
  const triggers = state.config.OnBuild ?? [];
  delete state.config.OnBuild;
  const instructions = triggers.length === 0 ? stage.instructions : [...parseContainerfile(`FROM scratch\n${triggers.join('\n')}\n`, { file: `ONBUILD of ${from}` }).stages[0]!.instructions, ...stage.instructions];
  for (const instruction of instructions) {
    throwIfAborted(session.signal, 'build');
    await buildInstruction({ session, stage, state }, instruction);
  }
  // A WORKDIR no later step made: made now, in a layer of its own, unless the image has it.
  if (state.workdirToMake !== undefined && (await isDirInImage(store, state.image, state.workdirToMake))) delete state.workdirToMake;
  if (state.workdirToMake !== undefined) await layerStep({ session, stage, state }, { text: '', inputs: ['WORKDIR'], createdBy: '', work: async () => undefined, layerOnlyIfChanged: true });
  if (state.pending.length > 0) await commitConfig(session, state);
  session.results.set(stage.index, state.image);
}

async function buildInstruction(at: StageContext, ins: Instruction): Promise<void> {
  switch (ins.kind) {
    case 'RUN':
      return runStep(at, ins);
    case 'COPY':
    case 'ADD':
      return copyStep(at, ins);
    default: {
      const { session } = at;
      session.emit(at.stage.index, ins.text, false);
      applyConfigInstruction(at.state, ins, { globals: session.globals, ...(session.options.buildArgs ? { buildArgs: session.options.buildArgs } : {}) });
    }
  }
}
