// Listen addresses as both programs take them: `HOST:PORT`, `[IPv6]:PORT` or `:PORT`.

/** `host` undefined = no host given (`:PORT`): the caller decides between every interface and loopback. */
export type ListenAddress = { readonly host: string | undefined; readonly port: number };

export function parseListenAddress(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}
