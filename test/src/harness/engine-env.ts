/**
 * The environment of a torrent engine for tests: any free port, announced on loopback only,
 * its downloads and state in the given folders, `shareRoots` shareable. The peer filter stays on
 * but accepts 127.0.0.1 (every test peer dials from there unless a test says otherwise), and the
 * engine may dial 127.0.0.1 (BITWEEN_DIAL_ALLOW). Without `engineId` the engine claims a slot
 * `engine-N`.
 */
export function engineEnv(opts: {
  natsUrl: string;
  engineId?: string;
  downloads: string;
  state: string;
  shareRoots?: string[];
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    BITWEEN_NATS_URL: opts.natsUrl,
    BITWEEN_LOG_LEVEL: 'debug',
    ...(opts.engineId ? { BITWEEN_ENGINE_ID: opts.engineId } : {}),
    BITWEEN_TORRENT_PORT: '0',
    BITWEEN_ANNOUNCE_ADDRESSES: '127.0.0.1',
    BITWEEN_DOWNLOAD_DIR: opts.downloads,
    BITWEEN_STATE_DIR: opts.state,
    ...(opts.shareRoots ? { BITWEEN_SHARE_ROOTS: opts.shareRoots.join(',') } : {}),
    BITWEEN_PEER_ALLOW: '127.0.0.1',
    // Test peers listen on loopback, which the dial policy refuses to contacts' lists.
    BITWEEN_DIAL_ALLOW: '127.0.0.1',
    // Loopback tests never ask the machine's router for a port (the network lab turns it on).
    BITWEEN_PORT_MAPPING: 'off',
    ...opts.extra,
  };
}

/** A logger that drops everything (for a Bus the test itself uses). */
export const silentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
