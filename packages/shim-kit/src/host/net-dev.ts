import { readFile } from 'node:fs/promises';

/** Counters of one network interface, as /proc/net/dev lists them. */
export interface InterfaceCounters {
  name: string;
  rxBytes: bigint;
  rxPackets: bigint;
  rxErrors: bigint;
  rxDropped: bigint;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  txDropped: bigint;
}

// cAdvisor leaves these out of a container's network stats: loopback and host-side devices.
const IGNORED_PREFIXES = ['lo', 'veth', 'docker', 'nerdctl'];

/** Whether cAdvisor would leave this interface out of a container's network metrics. */
export function isIgnoredInterface(name: string): boolean {
  const lower = name.toLowerCase();
  return IGNORED_PREFIXES.some((p) => lower.startsWith(p));
}

/**
 * The interfaces in the text of /proc/net/dev (two header lines, then `name: ` and 16 counters:
 * receive bytes, packets, errs, drop, fifo, frame, compressed, multicast, then transmit bytes,
 * packets, errs, drop, ...). Lines that do not have that shape are skipped.
 */
export function parseNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    if (name === '' || fields.length < 16 || !fields.every((f) => /^\d+$/.test(f))) continue;
    const n = fields.map((f) => BigInt(f));
    out.push({
      name,
      rxBytes: n[0] ?? 0n,
      rxPackets: n[1] ?? 0n,
      rxErrors: n[2] ?? 0n,
      rxDropped: n[3] ?? 0n,
      txBytes: n[8] ?? 0n,
      txPackets: n[9] ?? 0n,
      txErrors: n[10] ?? 0n,
      txDropped: n[11] ?? 0n,
    });
  }
  return out;
}

/**
 * The counters of the network namespace process `pid` is in, without loopback and host-side
 * devices; undefined when the process is gone.
 */
export async function readNetDev(pid: number): Promise<InterfaceCounters[] | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/net/dev`, 'utf8');
  } catch {
    return undefined;
  }
  return parseNetDev(text).filter((i) => !isIgnoredInterface(i.name));
}
