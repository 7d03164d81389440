// @bitween/messages: what travels between the bitween services over NATS. Subjects, the zod
// contracts of every command and event, their wire codec and error vocabulary; no NATS client
// (the runtime that sends and serves them is @bitween/bus).

// The contracts, one namespace per service that serves them: `engine.add`, `xmpp.shares`, …
export * as engine from './contracts/engine.js';
export * as xmpp from './contracts/xmpp.js';

// Defining a contract, and the types a contract gives its caller and its handler.
export {
  command,
  event,
  type AnyCommand,
  type AnyEvent,
  type Command,
  type Event,
  type ParamsOf,
  type PayloadOf,
  type RequestOf,
  type ResponseOf,
} from './contract.js';

// Subject names, service names, queue groups, KV buckets and streams.
export { buckets, queues, serviceNames, streams, subjects } from './subjects.js';

// Shared value schemas (each a zod schema and its type).
export {
  BareJid,
  Empty,
  Endpoint,
  EngineId,
  FilePriority,
  InfoHash,
  IpAddress,
  Label,
  Port,
  RateLimit,
  SeedLimits,
  Sha256,
  Share,
  TorrentFile,
  TorrentState,
  TorrentStatus,
  TrackerStatus,
  TrackerUrl,
} from './schemas.js';

// Errors on the wire: a reply is a value or a typed BusError.
export {
  BusError,
  BusErrorBody,
  describeIssues,
  ErrorCode,
  fail,
  Issue,
  issuesOf,
  ok,
  type Result,
} from './errors.js';

// The wire codec: bytes <-> validated values, errors <-> micro error headers (pure, no NATS).
export { decode, decodeReply, encodeError, encodeJson, validate, type EncodedError } from './codec.js';

// Types from the contracts that services name on their own.
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
  MAX_SHARE_FILES,
  MAX_SHARE_FILE_PATH_BYTES,
  ShareFile,
  ShareFileList,
} from './contracts/share-files.js';
export { FILES_IN_REPLY, FilesPage } from './contracts/torrent-files.js';
export {
  BrowseEntry,
  DEFAULT_ENGINE_SETTINGS,
  EngineSettings,
  EngineEntry,
  EngineState,
  EngineTorrent,
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

// Paged commands (`xmpp.shares`, `engine.list`): page budget, opaque cursors, collecting every page.
export { chunkByBytes, collectPages, decodeCursor, encodeCursor, jsonBytes, pageBudget } from './pages.js';
