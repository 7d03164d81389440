export * from './schemas.js';
export * from './errors.js';
export * from './contract.js';
export * from './subjects.js';
export * from './codec.js';
export * as engine from './contracts/engine.js';
export * as xmpp from './contracts/xmpp.js';
export { PortMappingStatus } from './contracts/port-mapping.js';
export {
  READ_HEADER_ROOM,
  READ_HEADERS,
  READ_MAX_BYTES,
  StreamId,
  readChunkBytes,
} from './contracts/streaming.js';
export { AdmissionCounters, ConnectionCounters, Reachability } from './contracts/reachability.js';
export { PeerInfo } from './contracts/torrent-controls.js';
export {
  BrowseEntry,
  DEFAULT_ENGINE_SETTINGS,
  EngineSettings,
  EngineState,
  ListCursor,
  TorrentProgress,
  sharesOf,
} from './contracts/engine.js';
export {
  AccountSettings,
  Contact,
  ContactShares,
  ContactResource,
  PeerEndpoint,
  PeersPayload,
  PendingSubscription,
  SharesCursor,
  IceServer,
  Sdp,
  Ticket,
  TicketTable,
  MAX_TICKET_CONTACTS,
} from './contracts/xmpp.js';
export { chunkByBytes, collectPages, decodeCursor, encodeCursor, jsonBytes, pageBudget } from './pages.js';
