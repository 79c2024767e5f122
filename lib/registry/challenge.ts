/**
 * `WWW-Authenticate` challenges (RFC 7235), as registries send them:
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="…"`
 * or `Basic realm="…"`. Pure: no I/O.
 * @module
 */

/** One parsed challenge: scheme (lower-case) and its parameters (keys lower-case). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parse a `WWW-Authenticate` header into challenges (a header may carry
 * several, comma-separated; parameters may be quoted with `\` escapes).
 * Unparseable input yields what could be read, never throws.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === " " || header[i] === "\t" || header[i] === ",")) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i])) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipWs();
    const scheme = token();
    if (!scheme) break;
    const ch: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(ch);
    // parameters: key=value or key="quoted", until the next scheme word
    for (;;) {
      while (i < n && (header[i] === " " || header[i] === "\t")) i++;
      const save = i;
      const key = token();
      if (!key || header[i] !== "=") {
        i = save;
        break;
      }
      i++;
      let value = "";
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === "\\" && i + 1 < n) i++;
          value += header[i++];
        }
        i++;
      } else {
        // lenient: unquoted values run to the next comma or space (realms with "://" occur in the wild)
        const start = i;
        while (i < n && header[i] !== "," && header[i] !== " " && header[i] !== "\t") i++;
        value = header.slice(start, i);
      }
      ch.params[key.toLowerCase()] = value;
      while (i < n && (header[i] === " " || header[i] === "\t")) i++;
      if (header[i] === ",") i++;
      else break;
    }
  }
  return out;
}
