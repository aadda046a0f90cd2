import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OciValidationError } from '../validation/issue.js';
import { digestOf } from './digest.js';
import { EMPTY_DESCRIPTOR } from './descriptor.js';
import { MediaType } from './media-type.js';
import { parseImageConfig, parseImageIndex, parseManifest, parseOciLayout } from './parse-image-documents.js';
import { validateDescriptor } from './validate-descriptor.js';
import { validateImageConfig } from './validate-image-config.js';
import { validateImageIndex } from './validate-image-index.js';
import { validateManifest } from './validate-manifest.js';

const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');
const summary = (issues: { path: string; rule: string }[]): string[] => issues.map((i) => `${i.path} ${i.rule}`).sort();
type Doc = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const D1 = digestOf('layer');
const D2 = digestOf('config');

function manifest(): Doc {
  return {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: D2, size: 10 },
    layers: [{ mediaType: MediaType.OciLayerGzip, digest: D1, size: 20 }],
  };
}
function index(): Doc {
  return {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [{ mediaType: MediaType.OciManifest, digest: D1, size: 5, platform: { os: 'linux', architecture: 'amd64' } }],
  };
}
function config(): Doc {
  return {
    created: '2024-01-02T03:04:05.123Z',
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/bin'], ExposedPorts: { '80/tcp': {}, '53/udp': {}, '8080': {} } },
    rootfs: { type: 'layers', diff_ids: [D1] },
    history: [{ created_by: 'x' }, { created_by: 'y', empty_layer: true }],
  };
}

describe('real documents (umoci / skopeo)', () => {
  it('umoci OCI manifest: valid, only the missing mediaType recommendation', () => {
    const m = JSON.parse(fixture('umoci-manifest.json')) as unknown;
    expect(summary(validateManifest(m))).toEqual(['/mediaType media-type-missing']);
    expect(parseManifest(fixture('umoci-manifest.json')).layers).toHaveLength(1);
  });
  it('umoci index.json: valid, only the missing mediaType recommendation', () => {
    expect(summary(validateImageIndex(JSON.parse(fixture('umoci-index.json'))))).toEqual(['/mediaType media-type-missing']);
    expect(parseImageIndex(fixture('umoci-index.json')).manifests).toHaveLength(1);
  });
  it('umoci image config validates clean', () => {
    expect(validateImageConfig(JSON.parse(fixture('umoci-config.json')))).toEqual([]);
    expect(parseImageConfig(fixture('umoci-config.json')).config?.User).toBe('app');
  });
  it('skopeo Docker schema2 manifest validates clean', () => {
    expect(validateManifest(JSON.parse(fixture('skopeo-docker-manifest.json')))).toEqual([]);
  });
  it('the base documents validate clean', () => {
    expect(validateManifest(manifest())).toEqual([]);
    expect(validateImageIndex(index())).toEqual([]);
    expect(validateImageConfig(config())).toEqual([]);
  });
});

const MANIFEST_CASES: [string, (m: Doc) => void, string[]][] = [
  ['schemaVersion 1', (m) => { m.schemaVersion = 1; }, ['/schemaVersion schema-version']],
  ['schemaVersion missing', (m) => { delete m.schemaVersion; }, ['/schemaVersion required']],
  ['schemaVersion string', (m) => { m.schemaVersion = '2'; }, ['/schemaVersion type']],
  ['index media type', (m) => { m.mediaType = MediaType.OciIndex; }, ['/mediaType manifest-media-type']],
  ['config missing', (m) => { delete m.config; }, ['/config required']],
  ['layers missing', (m) => { delete m.layers; }, ['/layers required']],
  ['layers empty', (m) => { m.layers = []; }, ['/layers layers-non-empty']],
  ['bad digest', (m) => { m.layers[0].digest = 'sha256:xyz'; }, ['/layers/0/digest digest']],
  ['uppercase digest', (m) => { m.layers[0].digest = D1.toUpperCase(); }, ['/layers/0/digest digest']],
  ['unsupported algorithm', (m) => { m.layers[0].digest = `blake3:${'a'.repeat(64)}`; }, ['/layers/0/digest digest-algorithm']],
  ['negative size', (m) => { m.layers[0].size = -1; }, ['/layers/0/size range']],
  ['fractional size', (m) => { m.config.size = 1.5; }, ['/config/size type']],
  ['size missing', (m) => { delete m.config.size; }, ['/config/size required']],
  ['bad media type', (m) => { m.layers[0].mediaType = 'gzip'; }, ['/layers/0/mediaType layer-media-type', '/layers/0/mediaType media-type']],
  ['unknown layer media type', (m) => { m.layers[0].mediaType = 'application/x-thing'; }, ['/layers/0/mediaType layer-media-type']],
  ['unknown config media type', (m) => { m.config.mediaType = 'application/x-thing'; }, ['/config/mediaType config-media-type']],
  ['artifact with unknown types is fine', (m) => {
    m.artifactType = 'application/vnd.example+json';
    m.layers[0].mediaType = 'application/x-thing';
  }, []],
  ['empty config needs artifactType', (m) => { m.config = { ...EMPTY_DESCRIPTOR }; }, ['/artifactType artifact-type-required']],
  ['empty descriptor with wrong digest', (m) => {
    m.artifactType = 'application/vnd.example+json';
    m.config = { mediaType: MediaType.OciEmpty, digest: D1, size: 2 };
  }, ['/config empty-descriptor']],
  ['data not base64', (m) => { m.config.data = '***'; }, ['/config/data data-base64']],
  ['data wrong size', (m) => { m.config.data = Buffer.from('abc').toString('base64'); }, ['/config/data data-size']],
  ['data wrong digest', (m) => { m.config.data = Buffer.from('0123456789').toString('base64'); }, ['/config/data data-digest']],
  ['data matching', (m) => {
    m.config = { mediaType: MediaType.OciConfig, digest: digestOf('{"a":1}'), size: 7, data: Buffer.from('{"a":1}').toString('base64') };
  }, []],
  ['bad url', (m) => { m.layers[0].urls = ['not a url']; }, ['/layers/0/urls/0 url']],
  ['bad annotations', (m) => { m.annotations = { a: 1 }; }, ['/annotations/a type']],
  ['bad subject', (m) => { m.subject = { mediaType: MediaType.OciManifest, size: 1 }; }, ['/subject/digest required']],
  ['bad artifactType', (m) => { m.artifactType = 'nope'; }, ['/artifactType media-type']],
  ['mediaType missing', (m) => { delete m.mediaType; }, ['/mediaType media-type-missing']],
  ['platform without os', (m) => { m.layers[0].platform = { architecture: 'amd64' }; }, ['/layers/0/platform/os required']],
];

describe('broken manifests', () => {
  it.each(MANIFEST_CASES)('%s', (_name, mutate, expected) => {
    const m = manifest();
    mutate(m);
    expect(summary(validateManifest(m))).toEqual([...expected].sort());
  });
});

const INDEX_CASES: [string, (i: Doc) => void, string[]][] = [
  ['schemaVersion 3', (i) => { i.schemaVersion = 3; }, ['/schemaVersion schema-version']],
  ['manifest media type', (i) => { i.mediaType = MediaType.OciManifest; }, ['/mediaType index-media-type']],
  ['manifests missing', (i) => { delete i.manifests; }, ['/manifests required']],
  ['manifests not array', (i) => { i.manifests = {}; }, ['/manifests type']],
  ['entry is a layer', (i) => { i.manifests[0].mediaType = MediaType.OciLayerTar; }, ['/manifests/0/mediaType index-entry-media-type']],
  ['entry of unknown type is fine', (i) => { i.manifests[0].mediaType = 'application/vnd.example+json'; }, []],
  ['nested index is fine', (i) => { i.manifests[0].mediaType = MediaType.DockerManifestList; }, []],
  ['platform arch missing', (i) => { delete i.manifests[0].platform.architecture; }, ['/manifests/0/platform/architecture required']],
  ['platform features wrong', (i) => { i.manifests[0].platform['os.features'] = 'x'; }, ['/manifests/0/platform/os.features type']],
  ['bad digest', (i) => { i.manifests[0].digest = 'md5'; }, ['/manifests/0/digest digest']],
];

describe('broken indexes', () => {
  it.each(INDEX_CASES)('%s', (_name, mutate, expected) => {
    const i = index();
    mutate(i);
    expect(summary(validateImageIndex(i))).toEqual([...expected].sort());
  });
});

const CONFIG_CASES: [string, (c: Doc) => void, string[]][] = [
  ['architecture missing', (c) => { delete c.architecture; }, ['/architecture required']],
  ['os missing', (c) => { delete c.os; }, ['/os required']],
  ['rootfs missing', (c) => { delete c.rootfs; }, ['/rootfs required']],
  ['rootfs type', (c) => { c.rootfs.type = 'tar'; }, ['/rootfs/type rootfs-type']],
  ['diff_ids missing', (c) => { delete c.rootfs.diff_ids; }, ['/rootfs/diff_ids required']],
  ['diff_id not a digest', (c) => { c.rootfs.diff_ids = ['abc']; c.history = []; }, ['/rootfs/diff_ids/0 digest']],
  ['created not RFC 3339', (c) => { c.created = 'yesterday'; }, ['/created rfc3339']],
  ['history created not RFC 3339', (c) => { c.history[0].created = '2024-13-45'; }, ['/history/0/created rfc3339']],
  ['history layer count', (c) => { c.history.push({ created_by: 'z' }); }, ['/history history-layer-count']],
  ['env without =', (c) => { c.config.Env.push('JUSTNAME'); }, ['/config/Env/1 env-format']],
  ['bad exposed ports', (c) => { c.config.ExposedPorts = { '80/icmp': {}, '0': {}, '70000/tcp': {} }; }, [
    '/config/ExposedPorts/0 exposed-port', '/config/ExposedPorts/70000~1tcp exposed-port', '/config/ExposedPorts/80~1icmp exposed-port',
  ]],
  ['Cmd not strings', (c) => { c.config.Cmd = 'sh'; }, ['/config/Cmd type']],
  ['Labels not strings', (c) => { c.config.Labels = { a: true }; }, ['/config/Labels/a type']],
];

describe('broken configs', () => {
  it.each(CONFIG_CASES)('%s', (_name, mutate, expected) => {
    const c = config();
    mutate(c);
    expect(summary(validateImageConfig(c))).toEqual([...expected].sort());
  });
});

describe('parsers', () => {
  it('reject MUST issues and unsupported digests with one error', () => {
    const m = manifest();
    m.schemaVersion = 1;
    m.layers[0].digest = `blake3:${'a'.repeat(64)}`;
    try {
      parseManifest(m);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OciValidationError);
      expect((e as OciValidationError).code).toBe('INVALID_IMAGE_MANIFEST');
      expect(summary([...(e as OciValidationError).issues])).toEqual(['/layers/0/digest digest-algorithm', '/schemaVersion schema-version']);
    }
  });
  it('accept SHOULD issues', () => {
    const m = manifest();
    delete m.mediaType;
    expect(parseManifest(m).schemaVersion).toBe(2);
  });
  it('use per-document codes', () => {
    expect(() => parseImageIndex('{}')).toThrow(expect.objectContaining({ code: 'INVALID_IMAGE_INDEX' }));
    expect(() => parseImageConfig('[')).toThrow(expect.objectContaining({ code: 'INVALID_IMAGE_CONFIG' }));
  });
  it('parse the oci-layout file', () => {
    expect(parseOciLayout('{"imageLayoutVersion":"1.0.0"}')).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(() => parseOciLayout('{"imageLayoutVersion":"2.0.0"}')).toThrow(/unsupported image layout version/);
    expect(() => parseOciLayout('{}')).toThrow(expect.objectContaining({ code: 'INVALID_IMAGE_LAYOUT' }));
  });
  it('validateDescriptor checks a lone descriptor', () => {
    expect(validateDescriptor(EMPTY_DESCRIPTOR)).toEqual([]);
    expect(summary(validateDescriptor({ mediaType: 'x', digest: D1 }))).toEqual(['/mediaType media-type', '/size required']);
  });
});

describe('image document round trips', () => {
  it('keep unknown fields and are stable', () => {
    const m: Doc = { ...manifest(), 'x-extension': { a: [1, 2] } };
    m.layers[0]['vendor.field'] = true;
    const once = parseManifest(JSON.stringify(m));
    const twice = parseManifest(JSON.stringify(once));
    expect(twice).toEqual(m);
    expect(twice).toEqual(once);
    const c = { ...config(), 'container_config': { Hostname: 'x' }, docker_version: '24' };
    expect(parseImageConfig(JSON.stringify(parseImageConfig(c)))).toEqual(c);
    const i = { ...index(), extra: null };
    expect(parseImageIndex(JSON.stringify(parseImageIndex(i)))).toEqual(i);
  });
});
