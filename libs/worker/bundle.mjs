// Builds the published form of @jobcast/worker: one CommonJS file with Jobcast's own workspace libraries
// (contracts, job log and its Lua, Redis keys, job-type registry, config, observability) inlined, so the
// package needs nothing from this repository. Its dependencies stay external and are installed from npm.
// `npm run build` runs it after `tsc -b` (which writes the type declarations it ships); `npm pack` too.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { dependencies } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));

await build({
  entryPoints: [join(here, 'src/index.ts')],
  outfile: join(here, 'dist/jobcast-worker.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: Object.keys(dependencies),
  // The job log's and the job-type directory's Lua, as the text their modules import.
  loader: { '.lua': 'text' },
  logLevel: 'warning',
});
