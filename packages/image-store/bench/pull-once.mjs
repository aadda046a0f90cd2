// One pull in a process of its own (as ctr and skopeo run), for bench/pull.mjs: opens a store at
// argv[2], pulls argv[3], closes the store.
import { ImageStore } from '../dist/index.js';

const store = await ImageStore.open({ root: process.argv[2] });
await store.pull(process.argv[3]);
await store.close();
