export {
  commandPattern,
  commandRules,
  describeTable,
  eventRules,
  kvRules,
  permissionsFor,
  ROLES,
  serviceRules,
  serviceSubjects,
  streamReadSubjects,
  streamRules,
  type CommandRule,
  type EventRule,
  type KvRule,
  type NatsPermissions,
  type Role,
  type ServiceRule,
  type StreamRule,
} from './permissions.js';
export { renderServerConfig, type NatsUser } from './server-config.js';
export {
  ensureNatsAuth,
  natsAuthLayout,
  type ExtraUser,
  type GeneratedUser,
  type NatsAuth,
} from './credentials.js';
export { subjectMatches } from './subject-match.js';
