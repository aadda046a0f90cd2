import { Signal, signalToJSON, type ContainerConfig } from '@shimkit/cri-types';
import type { ImageRecord } from '../interfaces/image-backend.js';

/** The first signal StopContainer sends: the request's, else the image's StopSignal, else SIGTERM. */
export function stopSignalOf(config: ContainerConfig, image: ImageRecord): string {
  if (config.stopSignal !== Signal.SIGNAL_RUNTIME_DEFAULT && config.stopSignal !== Signal.UNRECOGNIZED) {
    return signalToJSON(config.stopSignal).replace(/^SIGNAL_/, '');
  }
  const fromImage = image.config.config?.StopSignal;
  if (fromImage === undefined || fromImage === '') return 'SIGTERM';
  return /^\d+$/.test(fromImage) || fromImage.startsWith('SIG') ? fromImage : `SIG${fromImage}`;
}
