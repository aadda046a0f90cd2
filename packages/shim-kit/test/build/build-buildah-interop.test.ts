import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryClient } from '@shimkit/image-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildFixture } from './build-fixture.js';
import { buildFixture } from './build-fixture.js';
import { readPushedImage } from './layer-listing.js';

// Debian's buildah 1.28, the tool `shimkit build` stands in for, with a storage of its own.
let f: BuildFixture;
let client: RegistryClient;

async function buildah(...args: string[]): Promise<string> {
  const storage = ['--root', join(f.dir, 'buildah', 'root'), '--runroot', join(f.dir, 'buildah', 'runroot'), '--storage-driver', 'vfs'];
  try {
    return (await promisify(execFile)('buildah', [...storage, ...args], { timeout: 120_000 })).stdout;
  } catch (e) {
    throw new Error(`buildah ${args.join(' ')} failed: ${(e as { stderr?: string }).stderr ?? String(e)}`, { cause: e });
  }
}

beforeAll(async () => {
  f = await buildFixture('build-interop');
  client = new RegistryClient();
});
afterAll(async () => {
  // buildah's vfs storage holds no mounts once its commands end; removing the dir is enough.
  await client?.close();
  await f?.close();
});

const CONTAINERFILE = (base: string): string => `FROM ${base}
ENV APP_HOME=/srv/app GREETING="hello world"
LABEL org.example.name=interop org.example.words="two words"
RUN mkdir -p $APP_HOME/data && echo "$GREETING" > $APP_HOME/greeting && chmod 640 $APP_HOME/greeting \\
 && chown 12:34 $APP_HOME/data && ln -s greeting $APP_HOME/link && rm /etc/group && mkdir -p /opt/empty
COPY --chown=7:8 app/ $APP_HOME/
COPY run.sh /usr/local/bin/
WORKDIR $APP_HOME
USER 1000:1000
EXPOSE 8080 53/udp
VOLUME /srv/app/data
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat greeting"]
`;

describe('shimkit build and buildah bud 1.28', () => {
  it('make the same files and the same config from one Containerfile', async () => {
    const base = f.images.busybox.reference;
    const ctx = await f.context({ Containerfile: CONTAINERFILE(base), 'app/index.txt': 'index\n', 'app/sub/deep.txt': 'deep\n', 'run.sh': '#!/bin/sh\necho run\n' });
    await promisify(execFile)('chmod', ['755', join(ctx, 'run.sh')]);

    const ours = `${f.registry.host}/interop/ours:v1`;
    const built = await f.build(ctx, { tag: 'example.com/interop/ours:v1' });
    expect(built.stepsRun).toBe(3);
    await f.store.push('example.com/interop/ours:v1', ours);

    const theirs = `${f.registry.host}/interop/theirs:v1`;
    await buildah('bud', '--quiet', '--isolation', 'oci', '--runtime', 'runc', '--layers', '--tls-verify=false', '-t', 'theirs', ctx);
    await buildah('push', '--quiet', '--tls-verify=false', 'theirs', `docker://${theirs}`);

    const a = await readPushedImage(client, ours, 1);
    const b = await readPushedImage(client, theirs, 1);
    // buildah labels what it built with its version.
    delete b.config.config?.Labels?.['io.buildah.version'];
    for (const key of ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Labels', 'ExposedPorts', 'Volumes'] as const) {
      expect({ [key]: a.config.config?.[key] }).toEqual({ [key]: b.config.config?.[key] });
    }
    // buildah leaves the empty files it bind-mounted hosts, hostname and resolv.conf on in its RUN layers.
    const buildahMountPoints = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf'];
    const flatten = (layers: Map<string, unknown>[]) =>
      Object.fromEntries(layers.flatMap((l) => [...l]).filter(([p]) => !buildahMountPoints.includes(p)).sort(([x], [y]) => (x < y ? -1 : 1)));
    expect(flatten(a.layers)).toEqual(flatten(b.layers));
  });
});
