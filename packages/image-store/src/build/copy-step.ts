import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { ImageStoreError } from '../errors.js';
import type { SourcePath } from './build-context.js';
import { digestSources, resolveSources } from './build-context.js';
import type { StageContext } from './build-session.js';
import type { Instruction } from './containerfile.js';
import { copyIntoRoot } from './copy-into-root.js';
import { copyOwner } from './copy-owner.js';
import { fetchSource } from './fetch-source.js';
import { layerStep } from './layer-step.js';
import { mountCopyFrom } from './mount-copy-from.js';
import { expandWords } from './shell-words.js';
import { stageVars } from './stage-state.js';

const isUrl = (p: string): boolean => /^https?:\/\//i.test(p);

/**
 * COPY and ADD: sources from the context (minus the ignored), an earlier stage or an image
 * (`--from`), or URLs (ADD), copied into an overlay of the stage so far; local archives are
 * extracted by ADD. Cached by the digest of the sources.
 */
export async function copyStep(at: StageContext, ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>): Promise<void> {
  const { session, state } = at;
  const signal = session.signal;
  const vars = stageVars(state);
  const args = Array.isArray(ins.args) ? ins.args.map((a) => expandWords(a, vars)) : expandWords(ins.args, vars, { split: true });
  if (args.length < 2) throw new ImageStoreError('BUILD_SYNTAX', `line ${ins.line}: ${ins.kind} needs a source and a destination`);
  const destWord = args[args.length - 1]!;
  const patterns = args.slice(0, -1);
  const dest = posix.resolve(state.config.WorkingDir || '/', destWord);
  const destIsDir = destWord.endsWith('/') || patterns.length > 1 || destWord === '.' || destWord.endsWith('/.');
  const what = `line ${ins.line}: ${ins.kind}`;
  if (ins.kind === 'COPY' && patterns.some(isUrl)) throw new ImageStoreError('BUILD_SYNTAX', `${what}: COPY takes no URLs (ADD does)`);
  const chmod = ins.chmod === undefined ? undefined : expandWords(ins.chmod, vars);
  if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod)) throw new ImageStoreError('BUILD_SYNTAX', `${what}: --chmod=${chmod} is not an octal mode`);
  const chown = ins.chown === undefined ? undefined : expandWords(ins.chown, vars);

  let fromRoot: { dir: string; release: () => Promise<void> } | undefined;
  let downloads: string | undefined;
  if (ins.kind === 'COPY' && ins.from !== undefined) fromRoot = await mountCopyFrom(at, { ref: expandWords(ins.from, vars), what });
  try {
    const root = fromRoot?.dir ?? session.options.context;
    const ignored = fromRoot === undefined ? session.ignored : undefined;
    const sources: SourcePath[] = [];
    for (const p of patterns) {
      if (isUrl(p)) {
        // Under the store's root as `.archive-*`: a crash leaves it for the next open to remove.
        downloads ??= await mkdtemp(join(session.store.root, '.archive-build-'));
        sources.push(await fetchSource(p, downloads, { what, ...(signal ? { signal } : {}) }));
        continue;
      }
      sources.push(...(await resolveSources(root, p, { what, ...(ignored ? { ignored } : {}), ...(signal ? { signal } : {}) })));
    }
    if (fromRoot !== undefined) {
      for (const s of sources) {
        const real = await realpath(dirname(s.abs));
        if (real !== fromRoot.dir && !real.startsWith(`${fromRoot.dir}/`)) throw new ImageStoreError('INVALID_ARGUMENT', `${what}: ${s.rel} leads outside the image of --from=${ins.from}`);
      }
    }
    const digest = await digestSources(sources, { ...(ignored ? { ignored } : {}), ...(signal ? { signal } : {}) });
    // As buildah writes it: the destination as written, unexpanded.
    const writtenDest = Array.isArray(ins.args) ? ins.args[ins.args.length - 1]! : ins.args.trim().split(/\s+/).pop()!;
    await layerStep(at, {
      text: ins.text,
      inputs: [ins.kind, JSON.stringify({ patterns, dest, destIsDir, chmod, chown, from: ins.from }), digest],
      createdBy: `/bin/sh -c #(nop) ${ins.kind} ${sources.length === 1 && sources[0]!.stats.isDirectory() ? 'dir' : 'file'}:${digest} in ${writtenDest} `,
      work: async (rootfs) => {
        const owner = chown === undefined ? undefined : await copyOwner(rootfs, { chown, what });
        await copyIntoRoot(rootfs, sources, {
          dest,
          destIsDir,
          ...(owner ? { owner } : {}),
          ...(chmod ? { mode: parseInt(chmod, 8) } : {}),
          ...(ignored ? { ignored } : {}),
          extractArchives: ins.kind === 'ADD',
          helper: session.store.snapshots.helper,
          ...(signal ? { signal } : {}),
        });
      },
    });
  } finally {
    await fromRoot?.release();
    if (downloads !== undefined) await rm(downloads, { recursive: true, force: true });
  }
}
