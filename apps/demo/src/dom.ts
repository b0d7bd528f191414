/** The element matching `selector` under `root`; the page's markup guarantees it, so a miss is a bug. */
export function find<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const element = root.querySelector<T>(selector);
  if (!element) throw new Error(`demo page: no element matches ${selector}`);
  return element;
}

/** "14:03:07", for log lines. */
export function clockTime(at: number = Date.now()): string {
  return new Date(at).toLocaleTimeString([], { hour12: false });
}
