// Splits each timed shim RPC into the child processes the shim ran meanwhile (from the
// spawn trace) and the rest (the shim's own code, gRPC, waiting on files).
import { readFile } from 'node:fs/promises';
import { median } from './stats.mjs';

/** Length of the union of intervals, clipped to [lo, hi]. */
function covered(intervals, lo, hi) {
  const parts = intervals.map(([a, b]) => [Math.max(a, lo), Math.min(b, hi)]).filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of parts) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/**
 * For each RPC in `rpcs`: median total, median per child name (time inside the window) and
 * median time not covered by any child. `windows` are { rpc, t0, t1 } in wall-clock ms.
 */
export async function profileRpcs(traceFile, windows, rpcs) {
  const text = await readFile(traceFile, 'utf8').catch(() => '');
  const spans = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const lines = [];
  for (const rpc of rpcs) {
    const mine = windows.filter((w) => w.rpc === rpc);
    if (mine.length === 0) continue;
    const byName = new Map();
    const offsets = new Map();
    const outside = [];
    for (const w of mine) {
      const inside = spans.filter((s) => s.t1 > w.t0 && s.t0 < w.t1);
      const names = new Set(inside.map((s) => s.name));
      for (const name of names) {
        const first = inside.find((x) => x.name === name);
        (offsets.get(name) ?? offsets.set(name, []).get(name)).push([first.t0 - w.t0, first.t1 - w.t0]);
        const ms = covered(inside.filter((s) => s.name === name).map((s) => [s.t0, s.t1]), w.t0, w.t1);
        (byName.get(name) ?? byName.set(name, []).get(name)).push(ms);
      }
      outside.push(w.t1 - w.t0 - covered(inside.map((s) => [s.t0, s.t1]), w.t0, w.t1));
    }
    // A child seen in only some windows counts as 0 in the others.
    const parts = [...byName].map(([name, xs]) => [name, median([...xs, ...Array(mine.length - xs.length).fill(0)]), xs.length]);
    parts.sort((a, b) => b[1] - a[1]);
    const total = median(mine.map((w) => w.t1 - w.t0));
    const detail = parts.map(([name, m, n]) => `${name} ${m.toFixed(1)}${n < mine.length ? ` (${n}/${mine.length})` : ''}`).join(', ');
    lines.push(`${rpc.padEnd(17)} ${total.toFixed(1).padStart(6)} ms = no child ${median(outside).toFixed(1)} | ${detail}`);
    // When each child ran (median start-end, ms from the call's start): shows the gaps between them.
    const timeline = [...offsets]
      .map(([name, xs]) => [name, median(xs.map((x) => x[0])), median(xs.map((x) => x[1]))])
      .sort((a, b) => a[1] - b[1])
      .map(([name, a, b]) => `${name} @${a.toFixed(1)}-${b.toFixed(1)}`)
      .join(', ');
    if (timeline) lines.push(`${''.padEnd(17)}        timeline: ${timeline}`);
  }
  return lines.join('\n');
}
