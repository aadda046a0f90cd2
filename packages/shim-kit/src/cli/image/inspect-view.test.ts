import type { InspectResult } from '@shimkit/image-store';
import type { Descriptor, Digest } from '@shimkit/oci-spec';
import { MediaType } from '@shimkit/oci-spec';
import { describe, expect, it } from 'vitest';
import { inspectText, inspectView } from './inspect-view.js';

const d = (n: number, size = 10): Descriptor => ({ mediaType: MediaType.OciLayerGzip, digest: `sha256:${String(n).repeat(64).slice(0, 64)}` as Digest, size });

const result: InspectResult = {
  name: 'example.com/app:v1',
  digest: d(9).digest,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  images: [
    { manifest: d(1), platform: { os: 'linux', architecture: 'amd64' }, config: { architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', config: { Env: ['A=1', 'B=2'], Cmd: ['sh'], Labels: { team: 'x' } } } as never, configDescriptor: d(2), layers: [d(3, 3 << 20)], size: 3 << 20 },
    { manifest: d(4), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, config: { architecture: 'arm64', os: 'linux' } as never, configDescriptor: d(5), layers: [], size: 1 },
  ],
};

describe('inspectView', () => {
  it("describes the wanted platform's image of an index, listing every platform", () => {
    const view = inspectView(result, { os: 'linux', architecture: 'amd64' });
    expect(view).toMatchObject({ platforms: ['linux/amd64', 'linux/arm64/v8'], manifestDigest: d(1).digest, env: ['A=1', 'B=2'], cmd: ['sh'], entrypoint: null, labels: { team: 'x' } });
    expect(inspectView(result, { os: 'linux', architecture: 'arm64' })?.manifestDigest).toBe(d(4).digest);
    expect(inspectView(result, { os: 'linux', architecture: 's390x' })).toBeUndefined();
  });

  it('prints aligned text with every env and label line, and layers with sizes', () => {
    const text = inspectText(inspectView(result, { os: 'linux', architecture: 'amd64' })!);
    expect(text).toContain('Env:         A=1\n             B=2\n');
    expect(text).toContain('Labels:      team=x\n');
    expect(text).toContain('Platforms:   linux/amd64, linux/arm64/v8\n');
    expect(text).toMatch(new RegExp(`Layers:\\n  ${d(3).digest} +3\\.0 MiB  application/vnd\\.oci\\.image\\.layer\\.v1\\.tar\\+gzip\\n$`));
  });
});
