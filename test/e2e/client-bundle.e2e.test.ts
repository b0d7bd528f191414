import { build } from 'esbuild';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

/** What a page's bundler makes of `connect` from an entry: esbuild, for a browser, minified. */
async function bundle(entry: string): Promise<{ gzipped: number; inputs: string[] }> {
  const result = await build({
    stdin: { contents: `import { connect } from '${entry}'; globalThis.connectJobcast = connect;`, resolveDir: root },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2022'],
    minify: true,
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { gzipped: gzipSync(code, { level: 9 }).length, inputs: Object.keys(result.metafile.inputs) };
}

/** The typed client's browser bundle: small, and without zod, which it does not need at run time. */
describe('@jobcast/client in a browser bundle', () => {
  it('is at most 10 KB gzipped for a page that watches over the plain WebSocket, with neither socket.io-client nor ws nor zod', async () => {
    const { gzipped, inputs } = await bundle('@jobcast/client/websocket');
    expect(
      inputs.filter((input) => /node_modules[\\/](zod|socket\.io-client|engine\.io-client|ws)[\\/]/.test(input)),
    ).toEqual([]);
    expect(gzipped).toBeLessThanOrEqual(10 * 1024);
  });

  it('is at most 30 KB gzipped with socket.io-client, and carries no zod', async () => {
    const { gzipped, inputs } = await bundle('@jobcast/client');
    expect(inputs.filter((input) => /node_modules[\\/]zod[\\/]/.test(input))).toEqual([]);
    expect(inputs.some((input) => input.includes('socket.io-client'))).toBe(true);
    expect(gzipped).toBeLessThanOrEqual(30 * 1024);
  });
});
