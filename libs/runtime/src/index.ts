export { ConfigError, loadConfig, env } from './config.js';
export { createLogger, type Logger } from './logger.js';
export { connectNats } from './nats.js';
export { runService, type Stop } from './service.js';
export { packageVersion } from './version.js';
export { coalesce } from './coalesce.js';
export { readLaunch, type Launch } from './launch.js';
