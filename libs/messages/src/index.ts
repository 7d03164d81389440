export * from './schemas.js';
export * from './errors.js';
export * from './contract.js';
export * from './subjects.js';
export * from './codec.js';
export * from './bus.js';
export * from './registry.js';
export * from './placement.js';
export * as engine from './contracts/engine.js';
export * as xmpp from './contracts/xmpp.js';
export {
  BrowseEntry,
  DEFAULT_ENGINE_SETTINGS,
  EngineSettings,
  EngineState,
  TorrentProgress,
  sharesOf,
} from './contracts/engine.js';
export {
  AccountSettings,
  Contact,
  ContactShares,
  ContactResource,
  PeersPayload,
  PendingSubscription,
} from './contracts/xmpp.js';
export type { NatsConnection, Subscription } from '@nats-io/transport-node';
export * from './settings.js';
