// Which store --db names: a postgres:// or postgresql:// URL, else an SQLite file. Plain data, no
// driver imports, so that parsing flags stays cheap (usage errors answer before pg or sqlite load).

export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string | undefined };

export function storeConfigFromDb(db: string): StoreConfig {
  return /^postgres(ql)?:\/\//i.test(db) ? { kind: 'postgres', url: db } : { kind: 'sqlite', path: db };
}

/** Where the store is, for logs: the URL without user, password or query (which may hold a password). */
export function describeStore(config: StoreConfig): string {
  if (config.kind === 'sqlite') return config.path;
  try {
    const u = new URL(config.url);
    return `${u.protocol}//${u.host}${u.pathname}${config.schema === undefined ? '' : ` schema ${config.schema}`}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}
