import type { ImageExecConfig } from '@shimkit/oci-spec';
import type { BuildSession } from './build-session.js';
import type { StageState } from './stage-state.js';

/** The end of a stage whose last instructions changed only the config: one more image, no layer. */
export async function commitConfig(session: BuildSession, state: StageState): Promise<void> {
  if (!session.options.noCache) {
    const hit = await session.cached(state.key);
    if (hit !== undefined) {
      state.image = hit;
      state.pending = [];
      return;
    }
  }
  const builder = session.store.builder({ ...(state.image ? { from: state.image.id } : {}), platform: session.platform });
  const config = state.config;
  builder.editConfig((c) => replaceConfig(c, config));
  state.image = await builder.commit(undefined, { history: state.pending, ...(session.signal ? { signal: session.signal } : {}) });
  state.pending = [];
  await session.cache.set(state.key, state.image.id);
}

/** Makes `target` a copy of `source` (the builder edits the config it holds in place). */
export function replaceConfig(target: ImageExecConfig, source: ImageExecConfig): void {
  for (const k of Object.keys(target) as (keyof ImageExecConfig)[]) delete target[k];
  Object.assign(target, structuredClone(source));
}
