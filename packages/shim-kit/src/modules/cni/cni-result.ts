import { isIP } from 'node:net';
import { CniError } from './cni-error.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The address part of `10.1.2.3/24`, if it is an IP address. */
function addressOf(cidr: unknown): string | undefined {
  if (typeof cidr !== 'string') return undefined;
  const address = cidr.split('/')[0] ?? '';
  return isIP(address) === 0 ? undefined : address;
}

/**
 * The pod IPs in a CNI ADD result, IPv4 first: the addresses of the sandbox interface
 * `ifName` (or of entries naming no interface). Understands the 0.3.0+ format (`ips`,
 * `interfaces`) and the 0.1/0.2 one (`ip4`, `ip6`). Throws `InvalidResult` naming the plugin
 * when the result is not a CNI result.
 */
export function podIps(result: unknown, ifName: string, plugin: string): string[] {
  const bad = (what: string): CniError => new CniError('InvalidResult', `CNI plugin "${plugin}" returned an invalid ADD result: ${what}`, { plugin, command: 'ADD' });
  if (!isObject(result)) throw bad('not a JSON object');
  const found: string[] = [];
  if (Array.isArray(result.ips)) {
    const interfaces = Array.isArray(result.interfaces) ? result.interfaces : [];
    for (const [i, entry] of result.ips.entries()) {
      if (!isObject(entry)) throw bad(`ips[${i}] is not an object`);
      const address = addressOf(entry.address);
      if (address === undefined) throw bad(`ips[${i}].address ${JSON.stringify(entry.address)} is not an IP address in CIDR notation`);
      if (typeof entry.interface === 'number') {
        const iface: unknown = interfaces[entry.interface];
        if (!isObject(iface)) throw bad(`ips[${i}].interface ${entry.interface} is not an index into interfaces`);
        if (iface.name !== ifName) continue;
      }
      found.push(address);
    }
  } else {
    for (const key of ['ip4', 'ip6']) {
      const section = result[key];
      if (section === undefined) continue;
      const address = isObject(section) ? addressOf(section.ip) : undefined;
      if (address === undefined) throw bad(`${key}.ip is not an IP address in CIDR notation`);
      found.push(address);
    }
  }
  const unique = [...new Set(found)];
  return [...unique.filter((a) => isIP(a) === 4), ...unique.filter((a) => isIP(a) === 6)];
}
