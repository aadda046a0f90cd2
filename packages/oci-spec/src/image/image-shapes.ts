import { arr, int, obj, str, STRING_MAP, STRINGS, any, map, bool } from '../validation/shape.js';
import type { Shape } from '../validation/shape.js';

/** Structure of a platform object. */
export const PLATFORM_SHAPE: Shape = obj(
  { architecture: str(), os: str(), 'os.version': str(), 'os.features': STRINGS, variant: str(), features: STRINGS },
  ['architecture', 'os'],
);

/** Structure of a descriptor. */
export const DESCRIPTOR_SHAPE: Shape = obj(
  {
    mediaType: str(),
    digest: str(),
    size: int(0, Number.MAX_SAFE_INTEGER),
    urls: STRINGS,
    annotations: STRING_MAP,
    data: str(),
    artifactType: str(),
    platform: PLATFORM_SHAPE,
  },
  ['mediaType', 'digest', 'size'],
);

/** Structure of an image manifest. */
export const MANIFEST_SHAPE: Shape = obj(
  {
    schemaVersion: int(),
    mediaType: str(),
    artifactType: str(),
    config: DESCRIPTOR_SHAPE,
    layers: arr(DESCRIPTOR_SHAPE),
    subject: DESCRIPTOR_SHAPE,
    annotations: STRING_MAP,
  },
  ['schemaVersion', 'config', 'layers'],
);

/** Structure of an image index. */
export const INDEX_SHAPE: Shape = obj(
  {
    schemaVersion: int(),
    mediaType: str(),
    artifactType: str(),
    manifests: arr(DESCRIPTOR_SHAPE),
    subject: DESCRIPTOR_SHAPE,
    annotations: STRING_MAP,
  },
  ['schemaVersion', 'manifests'],
);

const emptyObjects = map(any);

/** Structure of an image configuration. */
export const IMAGE_CONFIG_SHAPE: Shape = obj(
  {
    created: str(),
    author: str(),
    architecture: str(),
    os: str(),
    'os.version': str(),
    'os.features': STRINGS,
    variant: str(),
    config: obj({
      User: str(),
      ExposedPorts: emptyObjects,
      Env: STRINGS,
      Entrypoint: STRINGS,
      Cmd: STRINGS,
      Volumes: emptyObjects,
      WorkingDir: str(),
      Labels: STRING_MAP,
      StopSignal: str(),
      ArgsEscaped: bool,
      Shell: STRINGS,
      OnBuild: STRINGS,
    }),
    rootfs: obj({ type: str(), diff_ids: arr(str()) }, ['type', 'diff_ids']),
    history: arr(obj({ created: str(), author: str(), created_by: str(), comment: str(), empty_layer: bool })),
  },
  ['architecture', 'os', 'rootfs'],
);

/** Structure of the `oci-layout` file. */
export const OCI_LAYOUT_SHAPE: Shape = obj({ imageLayoutVersion: str() }, ['imageLayoutVersion']);
