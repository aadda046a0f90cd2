import { ImageStoreError } from '../errors.js';
import type { StageContext } from './build-session.js';
import type { Instruction } from './containerfile.js';
import { layerStep } from './layer-step.js';

/** RUN: the command run by the step runner on an overlay of the stage so far, with its env, workdir and user. */
export async function runStep(at: StageContext, ins: Extract<Instruction, { kind: 'RUN' }>): Promise<void> {
  const { options, platform } = at.session;
  const { state } = at;
  const argv = 'exec' in ins.command ? ins.command.exec : [...state.shell, ins.command.shell];
  const network = ins.network ?? options.network ?? 'none';
  if (network !== 'none' && network !== 'host') throw new ImageStoreError('BUILD_SYNTAX', `line ${ins.line}: RUN --network=${network}: only none and host are supported`);
  const envNames = new Set((state.config.Env ?? []).map((e) => e.split('=')[0]));
  const env = [...(state.config.Env ?? []), ...[...state.args].filter(([k]) => !envNames.has(k)).map(([k, v]) => `${k}=${v}`)];
  const createdBy = 'exec' in ins.command ? `/bin/sh -c #(nop) RUN ${JSON.stringify(argv)}` : `${state.shell.join(' ')} ${ins.command.shell}`;
  const inputs = ['RUN', JSON.stringify(argv), JSON.stringify([...state.args].sort()), network];
  await layerStep(at, {
    text: ins.text,
    inputs,
    createdBy,
    work: async (rootfs) => {
      await options.runner.runStep({
        rootfs,
        argv,
        env,
        cwd: state.config.WorkingDir || '/',
        user: state.config.User ?? '',
        network,
        config: { ...(state.image?.config ?? { architecture: platform.architecture, os: platform.os, rootfs: { type: 'layers', diff_ids: [] } }), config: state.config },
        ...(options.onOutput ? { onOutput: options.onOutput } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    },
  });
}
