/** A query parameter whose name, once decoded, says it carries a credential: access_token, token, id_token… */
const CREDENTIAL_NAME = /token|secret|password|authorization/i;

/**
 * A request URL as it may be logged: every query parameter that carries a credential has its value
 * replaced, whatever its case, however often it repeats and however its name is percent-encoded
 * (`%61ccess_token`, `access%5Ftoken[]`). A name that does not decode is redacted too, since what it
 * says cannot be known. The path is kept as sent.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return url;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return carriesCredential(name) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, queryAt)}?${query}`;
}

function carriesCredential(rawName: string): boolean {
  try {
    return CREDENTIAL_NAME.test(decodeURIComponent(rawName.replace(/\+/g, ' ')));
  } catch {
    return true;
  }
}
