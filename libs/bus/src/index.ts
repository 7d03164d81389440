// The bitween services' NATS runtime over the @bitween/messages contracts.

// Typed request/reply, events and NATS services (micro).
export {
  Bus,
  ServiceHost,
  processSample,
  type CallOptions,
  type CommandHandler,
  type EndpointCounters,
  type Logger,
  type ProcessSample,
  type RawHandler,
  type RawReply,
} from './bus.js';
export type { NatsConnection, Subscription } from '@nats-io/transport-node';
// Large received payloads in reused buffers (the api's streaming replies).
export { lendPayloadBuffers, PayloadBuffers } from './payload-buffers.js';

// KV stores: the engine registry (heartbeats and each engine's torrents), the shared engine settings, the friends' address allowlist.
export { EngineRegistry, isAlive, MISSED_HEARTBEATS, type RegisteredEngine } from './registry.js';
export { EngineTorrentsMirror, EngineTorrentsWriter, type HeldTorrent } from './engine-torrents.js';
export { followKv, type KvFollowing } from './kv-follow.js';
export { SettingsStore } from './settings.js';
export { FriendAddressesStore } from './friend-addresses.js';
export { ShareVisibilityStore } from './share-visibility.js';

// Placement: engine slot leases and first-writer-wins torrent claims.
export {
  EngineLease,
  isCasConflict,
  MAX_SLOTS,
  slotId,
  slotOf,
  TorrentClaim,
  TorrentClaims,
  type ClaimResult,
} from './placement.js';

// Paged reads over the bus, merged back into whole lists.
export { fetchAllShares, mergeSharePieces, type FetchSharesOptions } from './shares.js';
export { fetchAllTorrents, mergeTorrentPieces } from './torrents.js';
