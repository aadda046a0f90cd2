import { afterAll, beforeAll } from 'vitest';
import { imageBackendConformance } from '../../conformance/image-backend-conformance.js';
import { ImageStoreBackend } from './image-store-backend.js';
import { removeRoot, startRegistryFixture, tempRoot, type RegistryFixture } from './registry-fixture.test-helper.js';

let fixture: RegistryFixture;
const roots: string[] = [];

beforeAll(async () => {
  fixture = await startRegistryFixture();
});
afterAll(async () => {
  await fixture?.close();
});

imageBackendConformance('ImageStoreBackend', {
  create: async () => {
    const root = await tempRoot();
    roots.push(root);
    return new ImageStoreBackend({ root });
  },
  get pullableRef() {
    return fixture.images.busybox.reference;
  },
  get expectedTag() {
    return fixture.images.busybox.reference;
  },
  cleanup: async () => {
    for (const root of roots.splice(0)) await removeRoot(root);
  },
});
