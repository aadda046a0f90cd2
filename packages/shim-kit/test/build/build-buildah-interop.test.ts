import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildTar, RegistryClient } from '@shimkit/image-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildFixture } from './build-fixture.js';
import { buildFixture } from './build-fixture.js';
import type { ListedEntry } from './layer-listing.js';
import { readPushedImage } from './layer-listing.js';

// Debian's buildah 1.28, the tool `shimkit build` stands in for, with an overlay storage of its own
// (the same layer diffs as ours: overlay upper directories).
let f: BuildFixture;
let client: RegistryClient;

async function buildah(...args: string[]): Promise<string> {
  const storage = ['--root', join(f.dir, 'buildah', 'root'), '--runroot', join(f.dir, 'buildah', 'runroot'), '--storage-driver', 'overlay'];
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
  // buildah unmounts its storage when each command ends; removing the dir is enough.
  await client?.close();
  await f?.close();
});

const CONTAINERFILE = (base: string): string => `FROM ${base}
ENV APP_HOME=/srv/app GREETING="hello world"
LABEL org.example.name=interop org.example.words="two words"
RUN mkdir -p $APP_HOME/data && echo "$GREETING" > $APP_HOME/greeting && chmod 640 $APP_HOME/greeting \\
 && chown 12:34 $APP_HOME/data && ln -s greeting $APP_HOME/link && rm /etc/group && mkdir -p /opt/empty
RUN rm -rf $APP_HOME/data && mkdir $APP_HOME/data && echo fresh > $APP_HOME/data/only && ln $APP_HOME/greeting $APP_HOME/hard
WORKDIR /made/by/workdir
COPY --chown=7:8 app/ $APP_HOME/
COPY run.sh /usr/local/bin/
WORKDIR $APP_HOME
USER 1000:1000
EXPOSE 8080 53/udp
VOLUME /srv/app/data
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat greeting"]
`;

const MULTI_STAGE = (base: string): string => `FROM ${base} AS tools
RUN mkdir -p /out/bin && echo '#!/bin/sh' > /out/bin/hello && chmod 700 /out/bin/hello && ln -s hello /out/bin/hi

FROM ${base}
ARG VERSION=1.0
COPY --from=tools /out/ /usr/local/
ADD vendor.tar /opt/vendor/
COPY --chmod=640 *.conf /etc/app/
RUN rm /bin/ls && echo "$VERSION" > /version
STOPSIGNAL SIGTERM
`;

describe('shimkit build and buildah bud 1.28', () => {
  /** Builds `ctx` with both tools, pushes both, and reads both back from the registry. */
  async function buildBoth(name: string, ctx: string, buildArgs: Record<string, string> = {}) {
    const ours = `${f.registry.host}/interop/${name}-ours:v1`;
    await f.build(ctx, { tag: `example.com/interop/${name}:v1`, buildArgs });
    await f.store.push(`example.com/interop/${name}:v1`, ours);
    const theirs = `${f.registry.host}/interop/${name}-theirs:v1`;
    const args = Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    await buildah('bud', '--quiet', '--isolation', 'oci', '--runtime', 'runc', '--layers', '--tls-verify=false', ...args, '-t', `${name}-theirs`, ctx);
    await buildah('push', '--quiet', '--tls-verify=false', `${name}-theirs`, `docker://${theirs}`);
    return { a: await readPushedImage(client, ours, 1), b: await readPushedImage(client, theirs, 1) };
  }

  it('make the same files and the same config from one Containerfile', async () => {
    const base = f.images.busybox.reference;
    const ctx = await f.context({ Containerfile: CONTAINERFILE(base), 'app/index.txt': 'index\n', 'app/sub/deep.txt': 'deep\n', 'run.sh': '#!/bin/sh\necho run\n' });
    await promisify(execFile)('chmod', ['755', join(ctx, 'run.sh')]);
    const { a, b } = await buildBoth('single', ctx);
    // buildah labels what it built with its version.
    delete b.config.config?.Labels?.['io.buildah.version'];
    // The same history after the base's, but for how each tool digests what a COPY took.
    const steps = (history: typeof a.config.history) =>
      (history ?? []).slice(1).map((h) => [(h.created_by ?? '').replace(/(dir|file):[0-9a-f]{64}/, '$1:DIGEST'), h.empty_layer ?? false]);
    expect(steps(a.config.history)).toEqual(steps(b.config.history));
    for (const key of ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Labels', 'ExposedPorts', 'Volumes'] as const) {
      expect({ [key]: a.config.config?.[key] }).toEqual({ [key]: b.config.config?.[key] });
    }
    // buildah leaves in its RUN layers the mount points it made for hosts, hostname, resolv.conf and /run.
    const buildahMountPoints = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'run'];
    // An opaque marker's mode means nothing (buildah gives it the directory's).
    const flatten = (layers: Map<string, ListedEntry>[]) =>
      Object.fromEntries(
        layers
          .flatMap((l) => [...l])
          .filter(([p]) => !buildahMountPoints.includes(p))
          .map(([p, e]) => [p, p.endsWith('/.wh..wh..opq') ? { ...e, mode: '-' } : e] as const)
          .sort(([x], [y]) => (x < y ? -1 : 1)),
      );
    expect(flatten(a.layers)['srv/app/data/.wh..wh..opq']).toBeDefined();
    expect(flatten(a.layers)['etc/.wh.group']).toBeDefined();
    expect(flatten(a.layers)).toEqual(flatten(b.layers));
  });

  it('make the same files and config from a multi-stage Containerfile with ADD of a tar, --chmod and a build arg', async () => {
    const base = f.images.busybox.reference;
    const ctx = await f.context({ Containerfile: MULTI_STAGE(base), 'a.conf': 'a=1\n', 'b.conf': 'b=2\n' });
    await writeFile(join(ctx, 'vendor.tar'), buildTar([
      { path: 'lib/', type: 'directory', mode: 0o755 },
      { path: 'lib/v.so', type: 'file', data: 'so', mode: 0o755, uid: 3, gid: 4 },
      { path: 'lib/v.so.1', type: 'symlink', linkname: 'v.so' },
    ]));
    const { a, b } = await buildBoth('multi', ctx, { VERSION: '2.5' });
    delete b.config.config?.Labels?.['io.buildah.version'];
    if (b.config.config?.Labels && Object.keys(b.config.config.Labels).length === 0) delete b.config.config.Labels;
    for (const key of ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Labels', 'StopSignal'] as const) {
      expect({ [key]: a.config.config?.[key] }).toEqual({ [key]: b.config.config?.[key] });
    }
    const listing = (layers: Map<string, ListedEntry>[]) =>
      Object.fromEntries(layers.flatMap((l) => [...l]).filter(([p]) => !['etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'run'].includes(p)).sort(([x], [y]) => (x < y ? -1 : 1)));
    expect(listing(a.layers)).toEqual(listing(b.layers));
    expect(listing(a.layers)['bin/.wh.ls']).toBeDefined();
    expect(listing(a.layers)['usr/local/bin/hi']).toMatchObject({ type: 'symlink', what: 'hello' });
  });
});
