// Opens the store a StoreConfig names; the only module that loads both drivers.
import type { Logger } from 'pino';
import type { StoreConfig } from './config.ts';
import { PgStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export async function openStore(config: StoreConfig, logger?: Logger): Promise<Store> {
  if (config.kind === 'sqlite') return new SqliteStore(config.path);
  return PgStore.open({ url: config.url, schema: config.schema, logger });
}
