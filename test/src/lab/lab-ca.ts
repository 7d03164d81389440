import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './netns.js';

/**
 * The lab's own certificate authority (openssl, EC P-256, valid for a day): what a public CA is
 * to a self-hoster. Servers get certificates naming their XMPP domain (and its subdomains, as a
 * wildcard certificate for `conference.`/`pubsub.` would); clients and the other server trust
 * `caFile`.
 */
export interface LabCa {
  /** The CA certificate (PEM). */
  caFile: string;
  /** A server certificate for `domain` and `*.domain`, signed by the CA: PEM file paths. */
  issue(domain: string): Promise<{ certFile: string; keyFile: string }>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makeLabCa(dir: string): Promise<LabCa> {
  const caFile = join(dir, 'lab-ca.crt');
  const caKey = join(dir, 'lab-ca.key');
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-days',
    '1',
    '-subj',
    '/CN=bitween lab CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    caKey,
    '-out',
    caFile,
  ]);
  let serial = 1;
  return {
    caFile,
    async issue(domain) {
      const base = join(dir, domain);
      const [certFile, keyFile, csr, ext] = [`${base}.crt`, `${base}.key`, `${base}.csr`, `${base}.ext`];
      await run('openssl', ['req', '-new', ...EC, '-subj', `/CN=${domain}`, '-keyout', keyFile, '-out', csr]);
      // Server and client use: an XMPP server presents it on incoming and outgoing s2s streams.
      await writeFile(
        ext,
        [
          `subjectAltName=DNS:${domain},DNS:*.${domain}`,
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=serverAuth,clientAuth',
          '',
        ].join('\n'),
      );
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-set_serial',
        String(serial++),
        '-days',
        '1',
        '-extfile',
        ext,
        '-out',
        certFile,
      ]);
      return { certFile, keyFile };
    },
  };
}
