import type { BlobCopyProgress } from '@shimkit/image-store';
import { MultiBar, Presets } from 'cli-progress';

function size(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

const STATUS: Record<BlobCopyProgress['status'], string> = { copying: 'copying', uploaded: 'done', exists: 'skipped: already there', mounted: 'mounted' };

/** One progress bar per blob on the terminal; returns the handler for copy events and a stop(). */
export function copyProgressBars(stream: NodeJS.WriteStream): { onProgress(p: BlobCopyProgress): void; stop(): void } {
  const bars = new MultiBar(
    {
      stream,
      format: 'blob {id} [{bar}] {done} / {total_size} {status}',
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
    },
    Presets.shades_classic,
  );
  const byDigest = new Map<string, ReturnType<MultiBar['create']>>();
  return {
    onProgress(p) {
      let bar = byDigest.get(p.digest);
      const payload = { id: p.digest.slice(7, 19), done: size(p.copied), total_size: size(p.size), status: STATUS[p.status] };
      if (bar === undefined) {
        bar = bars.create(Math.max(p.size, 1), p.copied, payload);
        byDigest.set(p.digest, bar);
      } else {
        bar.update(p.copied, payload);
      }
      if (p.status !== 'copying') bar.update(Math.max(p.size, 1), payload);
    },
    stop: () => bars.stop(),
  };
}
