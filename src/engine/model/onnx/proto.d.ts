// `.proto` files are bundled as text by esbuild's `text` loader (esbuild.mjs).
declare module '*.proto' {
  const text: string;
  export default text;
}
