import type { Command } from 'commander';
import { parseImageReference } from '@shimkit/oci-spec';
import type { EngineCommandIo } from './engine-io.js';
import { ShimError } from '../../errors.js';
import { formatOption } from './engine-options.js';
import { pullProgressBars } from './pull-progress.js';
import { ago, formatTable, humanSize } from './table.js';

function splitName(name: string): { repository: string; tag: string } {
  try {
    const ref = parseImageReference(name);
    const repository = `${ref.domain}/${ref.path}`;
    return { repository, tag: ref.tag ?? '<none>' };
  } catch {
    return { repository: name, tag: '<none>' };
  }
}

/** `pull`, `images`, `rmi`. */
export function imageCommands(parent: Command, io: EngineCommandIo, want: (name: string) => boolean = () => true): void {
  if (want('pull'))
    parent
      .command('pull')
      .description('Pull an image into the store')
      .argument('<image>', 'image reference')
      .option('-q, --quiet', 'print only the image id')
      .action(async (image: string, flags: { quiet?: boolean }) => {
        if (!flags.quiet) io.err(`Trying to pull ${image}...\n`);
        const bars = !flags.quiet && io.progressTty ? await pullProgressBars(io.progressTty) : undefined;
        let record;
        try {
          record = await io.engine().pull(image, bars ? { onProgress: (p) => bars.onProgress(p) } : {});
        } finally {
          bars?.stop();
        }
        io.out(`${record.id.replace(/^sha256:/, '')}\n`);
      });

  if (want('images'))
    parent
      .command('images')
      .description('List the images in the store')
      .option('-q, --quiet', 'print only the image ids')
      .addOption(formatOption())
      .action(async (flags: { quiet?: boolean; format: string }) => {
        const images = await io.engine().images();
        if (flags.format === 'json') {
          return io.out(`${JSON.stringify(images.map((i) => ({ Id: i.id.replace(/^sha256:/, ''), Names: i.repoTags, Digests: i.repoDigests, Size: i.size, Created: i.createdAt })), null, 2)}\n`);
        }
        if (flags.quiet) return io.out(images.map((i) => `${i.id.slice(7, 19)}\n`).join(''));
        const rows = images.flatMap((i) => (i.repoTags.length > 0 ? i.repoTags : ['<none>']).map((t) => {
          const { repository, tag } = t === '<none>' ? { repository: '<none>', tag: '<none>' } : splitName(t);
          return [repository, tag, i.id.slice(7, 19), ago(i.createdAt), humanSize(i.size)];
        }));
        io.out(formatTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
      });

  if (want('rmi'))
    parent
      .command('rmi')
      .description('Remove images')
      .argument('[images...]', 'names or ids')
      .option('-f, --force', 'remove the containers using them too')
      .option('-p, --prune', 'remove the images with no name (a build\'s layer cache) and what nothing uses then')
      .action(async (refs: string[], flags: { force?: boolean; prune?: boolean }) => {
        if (refs.length === 0 && !flags.prune) throw new ShimError('InvalidArgument', 'rmi: name an image to remove, or use --prune');
        if (flags.prune) {
          const pruned = await io.engine().pruneImages();
          io.out(`Pruned ${pruned.removedImages} images without a name (${pruned.removedSnapshots} layers, ${pruned.removedBlobs} blobs)\n`);
        }
        for (const ref of refs) {
          const image = await io.engine().removeImage(ref, { force: flags.force ?? false });
          io.out(`Untagged: ${ref}\nDeleted: ${image.id.replace(/^sha256:/, '')}\n`);
        }
      });
}
