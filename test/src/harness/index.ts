export { spawnChild, type Child, type Stream } from './child.js';
export { Cleanup, makeTempDir, removeTempDir } from './cleanup.js';
export { JsonRpcClient, JsonRpcError, type RpcResponse } from './jsonrpc.js';
export { RestClient, RestError } from './rest.js';
export { startNats, type NatsServer, type NatsUserName } from './nats.js';
export { freePort } from './ports.js';
export {
  encodeName,
  startProsody,
  type Account,
  type Prosody,
  type ProsodyOptions,
  type ProsodyTls,
} from './prosody.js';
export {
  logDir,
  repoRoot,
  startScript,
  startService,
  type LogLine,
  type ScriptProcess,
  type ServiceName,
  type ServiceProcess,
} from './service.js';
export { Feed, waitFor, type WaitOptions } from './wait.js';
export {
  rendezvousOnly,
  startFriends,
  startNode,
  type BitweenNode,
  type FriendsOptions,
  type NodeOptions,
} from './node.js';
export type { Endpoint, HashesResult, SharesResult, TorrentsResult } from './api-results.js';
export { engineEnv, silentLogger } from './engine-env.js';
export { startLibtorrent } from './libtorrent.js';
export { sha256File, writeRandomFile } from './files.js';
export { selfSignedCert } from './tls.js';
export { startEjabberd, type Ejabberd, type EjabberdOptions } from './ejabberd.js';
export { startThrottleProxy, type ThrottleProxy } from './throttle-proxy.js';
export { startCorruptingProxy, type CorruptingProxy } from './corrupting-proxy.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { downloadFrom, startTestEngine, torrentPort, type TestEngine } from './test-engine.js';
export { playGatewayContracts, testTicket } from './gateway-contracts.js';
export {
  droppedSignalling,
  gatewayEnv,
  startGateway,
  xmppOnline,
  type GatewayOptions,
  type XmppServer,
} from './gateway.js';
export { startApi, type Api } from './api.js';
export {
  contentWidths,
  launchChromium,
  logIn,
  openWebUi,
  screenshots,
  tabTo,
  UI_TIMEOUT,
  type LogInOptions,
  type Viewport,
  type WebBrowser,
} from './browser.js';
export { startSlowDownload, type SlowDownload } from './slow-download.js';
export { transmissionRemote } from './transmission-remote.js';
export { cli, runCli, type CliResult } from './cli.js';
export { shareRandomFile, waitForShare, type SharedFile, type SharingNode } from './shares.js';
export {
  NS_SHARES,
  connectClient,
  errorCondition,
  presences,
  sdpOffer,
  xml,
  type TestClient,
} from './xmpp-client.js';
