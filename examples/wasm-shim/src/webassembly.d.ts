// The part of the WebAssembly JS API this package uses. TypeScript declares it in the DOM lib only,
// which a Node package does not load; Node provides the API itself.
declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer;
  }
  class Module {}
  class Instance {
    readonly exports: Record<string, unknown>;
  }
  function compile(bytes: Uint8Array): Promise<Module>;
  function instantiate(module: Module, imports?: Record<string, Record<string, unknown>>): Promise<Instance>;
  function validate(bytes: Uint8Array): boolean;
}
