import { readFileSync } from 'node:fs';
import { CliError } from './cli-error';

export interface TokenOptions {
  /** `--token`: works, but every user of the machine can read it in `ps`. */
  token?: string;
  /** `--token-file`. */
  tokenFile?: string;
}

/**
 * The bearer token, from the first of: `--token-file`, `--token` (with a warning), JOBCAST_TOKEN,
 * JOBCAST_TOKEN_FILE; undefined when none is given. A file holds the token alone (a trailing line break is
 * fine); one that cannot be read, or is empty, is an error (TOKEN_FILE).
 */
export function bearerToken(
  options: TokenOptions,
  env: NodeJS.ProcessEnv,
  warn: (warning: string) => void,
): string | undefined {
  if (options.token !== undefined && options.tokenFile !== undefined)
    throw new CliError('USAGE', 'give --token or --token-file, not both');
  if (options.tokenFile !== undefined) return readTokenFile(options.tokenFile, '--token-file');
  if (options.token !== undefined) {
    warn('--token shows the token to every user of this machine (ps, /proc); use JOBCAST_TOKEN or --token-file');
    return options.token;
  }
  if (env.JOBCAST_TOKEN) return env.JOBCAST_TOKEN;
  return env.JOBCAST_TOKEN_FILE ? readTokenFile(env.JOBCAST_TOKEN_FILE, 'JOBCAST_TOKEN_FILE') : undefined;
}

function readTokenFile(path: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CliError('TOKEN_FILE', `cannot read ${source} ${path}: ${reason}`);
  }
  const token = text.trim();
  if (!token) throw new CliError('TOKEN_FILE', `${source} ${path} is empty`);
  return token;
}
