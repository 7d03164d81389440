export { ConfigError, loadConfig, env } from './config.js';
export { createLogger, type Logger } from './logger.js';
export { connectNats, natsAuthOptions, NATS_SEED_FILE_VAR } from './nats.js';
export { natsInboxPrefix, readNatsSeedFile, type NatsCredentials } from './nats-credentials.js';
export { runService, type Stop } from './service.js';
export { packageVersion } from './version.js';
export { coalesce } from './coalesce.js';
export { firstEvent, type Emitter } from './first-event.js';
export { inTurns, nextTurn } from './in-turns.js';
export { readLaunch, type Launch } from './launch.js';
export {
  assertPatchesApplied,
  findPackage,
  missingPatches,
  patchMarkerDrift,
  patchVersion,
  type MissingPatch,
  type PatchMarker,
} from './patches-applied.js';
