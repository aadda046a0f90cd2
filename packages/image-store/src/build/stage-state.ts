import type { ImageExecConfig } from '@shimkit/oci-spec';
import type { ImageRecord } from '../images/image-record.js';
import type { HistoryStep } from './image-builder.js';

/** The shell of RUN, CMD and ENTRYPOINT in shell form until a SHELL instruction. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** Where a stage of a build stands after the instructions so far. */
export interface StageState {
  /** The last image committed (the base image at first; undefined for scratch). */
  image: ImageRecord | undefined;
  /** The config so far, with changes not yet committed. */
  config: ImageExecConfig;
  /** The cache key of the state: the base and every instruction so far. */
  key: string;
  /** History entries of instructions not yet committed. */
  pending: HistoryStep[];
  /** ARGs in scope and their values. */
  args: Map<string, string>;
  shell: readonly string[];
  /** A CMD was given in this stage (an ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  /** A WORKDIR not yet made: the next step that makes a layer makes it (as buildah does, 0755 and root's). */
  workdirToMake?: string;
}

/** The variables an instruction's words are expanded with: the ARGs in scope, ENV over them. */
export function stageVars(state: StageState): Map<string, string> {
  const vars = new Map(state.args);
  for (const e of state.config.Env ?? []) {
    const at = e.indexOf('=');
    if (at > 0) vars.set(e.slice(0, at), e.slice(at + 1));
  }
  return vars;
}
