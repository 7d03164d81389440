import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DialPolicy } from '@bitween/net-policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchError, fetchUnderPolicy } from './fetch-under-policy.js';

/*
 * Against a real HTTP server on 127.0.0.1: loopback is exactly what the dial policy refuses, so
 * the tests that fetch allow-list it, as an operator would with BITWEEN_FETCH_ALLOW.
 */

let server: Server;
let base: string;
let port: number;
const hits: string[] = [];
const SECRET = 'secret-body-of-an-internal-service';

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok.torrent': (_req, res) => res.end('d4:infod4:name3:newee'),
  '/missing': (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end(SECRET),
  '/teapot': (_req, res) => res.writeHead(418).end(SECRET),
  '/to-metadata': (_req, res) =>
    res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
  '/to-other-loopback': (_req, res) =>
    res.writeHead(301, { location: `http://127.0.0.2:${port}/ok.torrent` }).end(),
  '/to-ok': (_req, res) => res.writeHead(302, { location: '/ok.torrent' }).end(),
  '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
  '/big': (_req, res) => {
    res.writeHead(200);
    res.end(Buffer.alloc(2048, 0x61));
  },
  '/big-declared': (_req, res) => res.writeHead(200, { 'content-length': '100000' }).end('x'),
  '/slow': () => undefined, // never answers
  '/slow-body': (_req, res) => {
    res.writeHead(200);
    res.write('d4:info'); // and never the rest
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    (routes[req.url ?? ''] ?? ((_q, r: ServerResponse) => r.writeHead(404).end()))(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const strict = new DialPolicy();
const local = new DialPolicy(['127.0.0.1']);
const opts = (policy: DialPolicy, over: Partial<Parameters<typeof fetchUnderPolicy>[1]> = {}) => ({
  policy,
  timeoutMs: 2000,
  maxBytes: 1024,
  ...over,
});

async function failure(p: Promise<unknown>): Promise<FetchError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  return err as FetchError;
}

describe('fetchUnderPolicy', () => {
  it('refuses 127.0.0.1 without the allow list, before connecting', async () => {
    const before = hits.length;
    const err = await failure(fetchUnderPolicy(new URL(`${base}/ok.torrent`), opts(strict)));
    expect(err.kind).toBe('refused');
    expect(err.message).toMatch(/127\.0\.0\.1 is a loopback address.*BITWEEN_FETCH_ALLOW/);
    expect(hits.length).toBe(before);
  });

  it('refuses a name that resolves to a refused address (localhost), and IPv4 hidden in IPv6', async () => {
    const err = await failure(fetchUnderPolicy(new URL(`http://localhost:${port}/ok.torrent`), opts(strict)));
    expect(err.kind).toBe('refused');
    expect(err.message).toMatch(/localhost resolves to an address that is not allowed/);
    const mapped = await failure(
      fetchUnderPolicy(new URL(`http://[::ffff:127.0.0.1]:${port}/`), opts(strict)),
    );
    expect(mapped.kind).toBe('refused');
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://0.0.0.0:80/', 'http://[::1]/']) {
      expect((await failure(fetchUnderPolicy(new URL(url), opts(strict)))).kind, url).toBe('refused');
    }
  });

  it('refuses a name if ANY of its addresses is refused; else connects to the address it checked', async () => {
    const addresses = (await lookup('localhost', { all: true })).map((a) => a.address);
    const outcome = await fetchUnderPolicy(new URL(`http://localhost:${port}/ok.torrent`), opts(local)).then(
      (body) => body.toString(),
      (err: FetchError) => err.kind,
    );
    // e.g. ::1 beside 127.0.0.1 in /etc/hosts: the one refused address refuses the name. With
    // 127.0.0.1 alone, the request goes through the pinned lookup to exactly that address.
    expect(outcome).toBe(addresses.some((a) => a !== '127.0.0.1') ? 'refused' : 'd4:infod4:name3:newee');
  });

  it('fetches from an allow-listed address, following a redirect there', async () => {
    expect((await fetchUnderPolicy(new URL(`${base}/ok.torrent`), opts(local))).toString()).toBe(
      'd4:infod4:name3:newee',
    );
    expect((await fetchUnderPolicy(new URL(`${base}/to-ok`), opts(local))).toString()).toMatch(/^d4:info/);
  });

  it('checks every redirect the same way: to 169.254.169.254 or another loopback address is refused', async () => {
    const meta = await failure(fetchUnderPolicy(new URL(`${base}/to-metadata`), opts(local)));
    expect(meta.kind).toBe('refused');
    expect(meta.message).toMatch(/redirects to http:\/\/169\.254\.169\.254.*link-local/);
    const before = hits.length;
    const other = await failure(fetchUnderPolicy(new URL(`${base}/to-other-loopback`), opts(local)));
    expect(other.kind).toBe('refused');
    expect(other.message).toMatch(/127\.0\.0\.2 is a loopback address/);
    expect(hits.slice(before)).toEqual(['/to-other-loopback']);
  });

  it('never reflects the remote status or body', async () => {
    for (const path of ['/missing', '/teapot']) {
      const err = await failure(fetchUnderPolicy(new URL(`${base}${path}`), opts(local)));
      expect(err.kind).toBe('failed');
      expect(err.message).toBe(`could not fetch ${base}${path}`);
      // (The URL is ours; its random port may contain "404" or "418": look at the rest.)
      expect(err.message.replace(`${base}${path}`, '<url>')).not.toMatch(/404|418|secret/);
      expect(err.detail).toMatch(/HTTP (404|418)/);
    }
    // A closed port looks the same as a 404.
    const closed = await failure(fetchUnderPolicy(new URL('http://127.0.0.1:1/x'), opts(local)));
    expect(closed.message).toBe('could not fetch http://127.0.0.1:1/x');
  });

  it('caps redirects, size and time', async () => {
    expect((await failure(fetchUnderPolicy(new URL(`${base}/loop`), opts(local)))).detail).toMatch(
      /more than 3 redirects/,
    );
    expect((await failure(fetchUnderPolicy(new URL(`${base}/big`), opts(local)))).detail).toMatch(
      /more than 1024 bytes/,
    );
    expect((await failure(fetchUnderPolicy(new URL(`${base}/big-declared`), opts(local)))).detail).toMatch(
      /declares 100000 bytes/,
    );
    // /slow never answers and /slow-body never ends: these fail only by the 300 ms timeout (the
    // message says so); how long that took is no test's business (bench/).
    const slow = await failure(fetchUnderPolicy(new URL(`${base}/slow`), opts(local, { timeoutMs: 300 })));
    expect(slow.detail).toMatch(/no answer within 300 ms/);
    const stalled = await failure(
      fetchUnderPolicy(new URL(`${base}/slow-body`), opts(local, { timeoutMs: 300 })),
    );
    expect(stalled.message).toBe(`could not fetch ${base}/slow-body`);
    expect(stalled.detail).toMatch(/no answer within 300 ms/);
  });

  it('takes http and https only', async () => {
    const err = await failure(fetchUnderPolicy(new URL('file:///etc/shadow'), opts(local)));
    expect(err).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/only http and https/) as unknown,
    });
    expect((await failure(fetchUnderPolicy(new URL('ftp://127.0.0.1/x'), opts(local)))).kind).toBe('refused');
  });
});
