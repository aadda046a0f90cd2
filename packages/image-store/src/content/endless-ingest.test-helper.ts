// Run by a test as its own process, to be killed mid-write: opens the content store at argv[2]
// and ingests blob argv[3] from a stream that never ends (64 KiB every 5 ms), printing "go"
// after the first half megabyte.
import { parseDigest } from '@shimkit/oci-spec';
import { ContentStore } from './content-store.js';

const store = await ContentStore.open(process.argv[2]!);
await store.ingest(parseDigest(process.argv[3]), async function* () {
  for (let i = 0; ; i++) {
    yield Buffer.alloc(65536, i);
    if (i === 8) process.stdout.write('go\n');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
});
