import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { renderResults } from './markdown';
import type { BenchResults } from './results';

/** bench/results, in the source tree (this file runs from bench/dist/report). */
export const RESULTS_DIR = join(__dirname, '..', '..', 'results');

/**
 * Writes `<name>.json` and `<name>.md`, formatted as the repository's Prettier would, so that `npm run
 * check` passes on committed results. Answers the Markdown path.
 */
export async function writeResults(results: BenchResults, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const markdownPath = join(RESULTS_DIR, `${name}.md`);
  const files: Array<[string, string]> = [
    [join(RESULTS_DIR, `${name}.json`), JSON.stringify(results)],
    [markdownPath, renderResults(results)],
  ];
  for (const [path, text] of files) {
    const options = await resolveConfig(path);
    writeFileSync(path, await format(text, { ...options, filepath: path }));
  }
  return markdownPath;
}
