// `npm run build:demo`: bundles the demo page and the typed client it uses into apps/gateway/public, which
// the gateway serves at `/`. That folder is build output: ignored by git, rebuilt by `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const demoDir = dirname(fileURLToPath(import.meta.url));
const outDir = join(demoDir, '..', 'gateway', 'public');

/**
 * The contracts are CommonJS, so the bundle gets zod's CommonJS build, where nothing is tree-shaken: this
 * leaves out its translated error messages (over half of what zod adds), which the page never uses. English,
 * zod's default, stays.
 */
const englishZodMessagesOnly = {
  name: 'english-zod-messages-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.cjs$/ }, (args) => ({
      contents: "exports.en = require('./en.cjs').default;",
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [join(demoDir, 'src', 'demo-page.ts')],
  outfile: join(outDir, 'demo-page.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['es2022'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [englishZodMessagesOnly],
});
for (const file of ['index.html', 'styles.css']) copyFileSync(join(demoDir, file), join(outDir, file));
// The no-library example, served beside the demo so that a browser can open it from a gateway.
copyFileSync(join(demoDir, '..', '..', 'examples', 'plain-websocket.html'), join(outDir, 'plain-websocket.html'));
