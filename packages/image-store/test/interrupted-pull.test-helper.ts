// Run by the crash-safety test as its own process, to be killed mid-pull: opens the store at
// argv[2] (keepLayerBlobs when argv[4] is "true") and pulls argv[3], printing "midway" once half
// a megabyte of a layer has come in and "finished" if the pull ends.
import { ImageStore } from '../src/image-store.js';

const store = await ImageStore.open({ root: process.argv[2]!, keepLayerBlobs: process.argv[4] === 'true' });
let told = false;
await store.pull(process.argv[3]!, {
  onProgress: (p) => {
    if (!told && p.status === 'downloading' && p.downloaded > 500_000) {
      told = true;
      process.stdout.write('midway\n');
    }
  },
});
process.stdout.write('finished\n');
