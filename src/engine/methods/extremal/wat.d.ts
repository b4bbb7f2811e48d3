// `.wat` files are assembled to WebAssembly bytes at build time by esbuild.mjs's `wat` plugin (wabt).
declare module '*.wat' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
}
