import { arrayEntries, field, IssueCollector, isObject, pointer, show } from '../validation/issue.js';
import type { ValidationIssue } from '../validation/issue.js';
import { checkShape } from '../validation/shape.js';
import { IMAGE_CONFIG_SHAPE } from './image-shapes.js';
import { checkDigest } from './validate-descriptor.js';

/** RFC 3339 date-time (what the image-spec requires for `created`). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const EXPOSED_PORT = /^\d{1,5}(?:\/(?:tcp|udp|sctp))?$/;

/**
 * Checks an image configuration and returns every issue; never throws. Rules: structure,
 * `rootfs.type` `layers`, `diff_ids` are digests, RFC 3339 times, `Env` entries `KEY=value`,
 * exposed ports `port[/tcp|udp|sctp]`, history layer count matching diff_ids (SHOULD).
 */
export function validateImageConfig(config: unknown): ValidationIssue[] {
  const out = new IssueCollector();
  try {
    checkShape(config, IMAGE_CONFIG_SHAPE, '', out);
    checkTime(field(config, 'created'), '/created', out);
    const rootfs = field(config, 'rootfs');
    const type = field(rootfs, 'type');
    if (typeof type === 'string' && type !== 'layers') out.must('/rootfs/type', 'rootfs-type', `must be "layers", got ${show(type)}`);
    const diffIds = field(rootfs, 'diff_ids');
    for (const [i, id] of arrayEntries(diffIds)) checkDigest(id, pointer('/rootfs/diff_ids', i), out);

    const exec = field(config, 'config');
    for (const [i, entry] of arrayEntries(field(exec, 'Env'))) {
      if (typeof entry === 'string' && entry.indexOf('=') <= 0) {
        out.must(pointer('/config/Env', i), 'env-format', `must be KEY=value, got ${show(entry)}`);
      }
    }
    const ports = field(exec, 'ExposedPorts');
    if (isObject(ports)) {
      for (const port of Object.keys(ports)) {
        const number = Number(port.split('/')[0]);
        if (!EXPOSED_PORT.test(port) || number < 1 || number > 65535) {
          out.must(pointer('/config/ExposedPorts', port), 'exposed-port', `must be port, port/tcp, port/udp or port/sctp, got ${show(port)}`);
        }
      }
    }

    const history = field(config, 'history');
    let layered = 0;
    for (const [i, entry] of arrayEntries(history)) {
      checkTime(field(entry, 'created'), pointer('/history', i, 'created'), out);
      if (field(entry, 'empty_layer') !== true) layered++;
    }
    if (Array.isArray(history) && history.length > 0 && Array.isArray(diffIds) && layered !== diffIds.length) {
      out.should('/history', 'history-layer-count', `history has ${layered} layer-creating entries but rootfs has ${diffIds.length} diff_ids`);
    }
  } catch (e) {
    out.must('', 'internal', `validation failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out.issues;
}

function checkTime(value: unknown, path: string, out: IssueCollector): void {
  if (typeof value === 'string' && (!RFC3339.test(value) || Number.isNaN(Date.parse(value)))) {
    out.must(path, 'rfc3339', `must be an RFC 3339 date-time, got ${show(value)}`);
  }
}
