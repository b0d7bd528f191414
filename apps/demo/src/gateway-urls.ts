export interface GatewayUrls {
  /** This page's gateway first, then the ones from `?gateways=`, without repeats. */
  urls: string[];
  /** `?gateways=` entries that are not http(s) URLs. */
  ignored: string[];
}

/**
 * The gateways the page may talk to: the one that served it, then those listed in `?gateways=` — a
 * comma-separated list of base URLs, or the parameter repeated — tried in order when a connection drops.
 */
export function gatewayUrls(location: Location): GatewayUrls {
  const listed = new URLSearchParams(location.search)
    .getAll('gateways')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  const urls = [location.origin];
  const ignored: string[] = [];
  for (const entry of listed) {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    if (url && (url.protocol === 'http:' || url.protocol === 'https:')) urls.push(url.origin);
    else ignored.push(entry);
  }
  return { urls: [...new Set(urls)], ignored };
}
