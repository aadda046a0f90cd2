import type { PullProgress } from '@shimkit/image-store';

function size(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

const STATUS: Record<PullProgress['status'], string> = { downloading: 'downloading', done: 'done', exists: 'already there' };

/**
 * One progress bar per layer of a pull on the terminal; returns the handler for pull events and a
 * stop(). cli-progress is loaded here, when a pull on a terminal needs it, not with every command.
 */
export async function pullProgressBars(stream: NodeJS.WriteStream): Promise<{ onProgress(p: PullProgress): void; stop(): void }> {
  const { MultiBar, Presets } = await import('cli-progress');
  const bars = new MultiBar({ stream, format: 'layer {id} [{bar}] {done} / {total_size} {status}', hideCursor: true, clearOnComplete: false, autopadding: true }, Presets.shades_classic);
  const byDigest = new Map<string, ReturnType<InstanceType<typeof MultiBar>['create']>>();
  return {
    onProgress(p) {
      const payload = { id: p.digest.slice(7, 19), done: size(p.downloaded), total_size: size(p.total), status: STATUS[p.status] };
      let bar = byDigest.get(p.digest);
      if (bar === undefined) {
        bar = bars.create(Math.max(p.total, 1), p.downloaded, payload);
        byDigest.set(p.digest, bar);
      } else bar.update(p.downloaded, payload);
      if (p.status !== 'downloading') bar.update(Math.max(p.total, 1), payload);
    },
    stop: () => bars.stop(),
  };
}
