/**
 * A Lua file imported from TypeScript is its text: esbuild inlines it (the `text` loader of
 * libs/worker/bundle.mjs), and for tsc's output scripts/build-lua-modules.mjs writes each as a module that
 * exports it.
 */
declare module '*.lua' {
  const source: string;
  export default source;
}
