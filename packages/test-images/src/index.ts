export { pushTestImages } from './push-test-images.js';
export { PAUSE_SCRIPT } from '@shimkit/test-bed';
export type { PushTarget, TestImage, TestImages } from '@shimkit/test-bed';
