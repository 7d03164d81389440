import { spawnChild, type Child } from '../harness/child.js';
import type { Cleanup } from '../harness/cleanup.js';
import { run, tool } from './netns.js';

export type ProbeResult = 'connected' | 'refused' | 'timeout' | 'unreachable';

// The timeout decides only after one more poll of I/O (setImmediate): on a loaded machine the probe
// can be held back past its deadline with the connection already made, and the timer, run first,
// would call that a timeout.
const PROBE = `
const [host, port, ms, localPort] = process.argv.slice(1);
const s = require('node:net').connect({ port: Number(port), host, ...(localPort ? { localPort: Number(localPort) } : {}) });
const done = (r) => { console.log(r); process.exit(0); };
s.setTimeout(Number(ms), () => setImmediate(() => done('timeout')));
s.on('connect', () => done('connected'));
s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : ['EHOSTUNREACH', 'ENETUNREACH'].includes(e.code) ? 'unreachable' : e.code));
`;

/** Opens a TCP connection from inside `ns` to host:port (from `localPort` if given): what happened within `timeoutMs`. */
export async function tcpProbe(
  ns: string,
  host: string,
  port: number,
  timeoutMs = 2_000,
  localPort?: number,
): Promise<ProbeResult> {
  const out = await run(tool('ip'), [
    'netns',
    'exec',
    ns,
    process.execPath,
    '-e',
    PROBE,
    host,
    String(port),
    String(timeoutMs),
    ...(localPort ? [String(localPort)] : []),
  ]);
  return out.trim() as ProbeResult;
}

/** A TCP listener inside `ns` (accepts and closes; prints `from ADDRESS:PORT` per connection); stopped by `cleanup`. */
export async function listenIn(cleanup: Cleanup, ns: string, host: string, port: number): Promise<Child> {
  const script = `require('node:net').createServer((c) => { console.log('from ' + c.remoteAddress + ':' + c.remotePort); c.end(); }).listen(${port}, ${JSON.stringify(host)}, () => console.log('listening'))`;
  const child = await spawnChild(tool('ip'), ['netns', 'exec', ns, process.execPath, '-e', script]);
  cleanup.add(`listener ${ns} ${host}:${port}`, () => child.stop(2_000));
  await child.output.wait((l) => l === 'listening', {
    what: `a listener on ${host}:${port} in ${ns}`,
    timeoutMs: 10_000,
  });
  return child;
}

/** A UDP socket inside `ns` that prints `from ADDRESS:PORT` per datagram; stopped by `cleanup`. */
export async function udpListenIn(cleanup: Cleanup, ns: string, host: string, port: number): Promise<Child> {
  const script = `const s = require('node:dgram').createSocket(${JSON.stringify(host.includes(':') ? 'udp6' : 'udp4')}); s.on('message', (m, r) => console.log('from ' + r.address + ':' + r.port)); s.bind(${port}, ${JSON.stringify(host)}, () => console.log('listening'))`;
  const child = await spawnChild(tool('ip'), ['netns', 'exec', ns, process.execPath, '-e', script]);
  cleanup.add(`udp listener ${ns} ${host}:${port}`, () => child.stop(2_000));
  await child.output.wait((l) => l === 'listening', {
    what: `a UDP socket on ${host}:${port} in ${ns}`,
    timeoutMs: 10_000,
  });
  return child;
}
