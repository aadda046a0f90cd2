// Imports the entry point named by argv[2]; prints its export names, or the error's code and message.
const specifier = process.argv[2];
await import(specifier).then(
  (m) => console.log(Object.keys(m).sort().join(',')),
  (e) => console.log(`${e.code} ${e.message}`),
);
