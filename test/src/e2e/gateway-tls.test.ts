import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  removeTempDir,
  selfSignedCert,
  startGateway,
  startNats,
  startProsody,
  xmppOnline,
  type NatsServer,
  type Prosody,
} from '../harness/index.js';

/**
 * A home server with a self-signed certificate (made with openssl), encryption required:
 * the gateway logs in over STARTTLS and over direct TLS when told to trust that certificate,
 * verifies it otherwise (and keeps retrying without blocking), and authenticates with SCRAM.
 */
describe('TLS against Prosody with a self-signed certificate', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let nats: NatsServer;
  let certFile: string;

  beforeAll(async () => {
    const dir = await makeTempDir('tls');
    cleanup.add('tls dir', () => removeTempDir(dir));
    const cert = await selfSignedCert(dir, 'localhost');
    certFile = cert.certFile;
    prosody = await startProsody(cleanup, {
      accounts: [{ user: 'alice', password: 'alice-pw' }],
      friends: [],
      tls: cert,
    });
    nats = await startNats(cleanup);
  });
  afterAll(() => cleanup.run());

  const gateway = (label: string, service: string, env: Record<string, string> = {}) =>
    startGateway(cleanup, { label, nats, server: prosody, user: 'alice', resource: label, service, env });

  it('STARTTLS, trusting the certificate explicitly; SCRAM, never PLAIN', async () => {
    const gw = await gateway('tls-starttls', prosody.service, { BITWEEN_XMPP_TLS_CA_FILE: certFile });
    await xmppOnline(gw, 'login over STARTTLS');
    const auth = await gw.waitForLog((l) => l.msg === 'authenticating', { what: 'the SASL choice' });
    expect(auth).toMatchObject({ tls: true, mechanism: expect.stringMatching(/^SCRAM-SHA-/) as unknown });
    await gw.stop();
  });

  it('direct TLS (xmpps://)', async () => {
    const gw = await gateway('tls-direct', prosody.directTlsService!, { BITWEEN_XMPP_TLS_CA_FILE: certFile });
    await xmppOnline(gw, 'login over direct TLS');
    await gw.stop();
  });

  it('verifies the certificate: untrusted, it refuses to log in and keeps retrying', async () => {
    for (const [label, service] of [
      ['tls-untrusted-starttls', prosody.service],
      ['tls-untrusted-direct', prosody.directTlsService!],
    ] as const) {
      const gw = await gateway(label, service);
      const failed = await gw.waitForLog((l) => l.msg === 'XMPP login failed', { what: 'the refusal' });
      expect(String(failed.err)).toMatch(/self[- ]signed|certificate/i);
      await gw.waitForLog((l) => l.msg === 'XMPP reconnect scheduled', { what: 'a retry' });
      expect(gw.logs.some((l) => l.msg === 'XMPP online')).toBe(false);
      expect(await gw.stop()).toBe(0);
    }
  });
});
