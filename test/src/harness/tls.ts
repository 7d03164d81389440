import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A self-signed certificate (openssl) for a home server in tests: EC P-256, valid for a day,
 * naming `domain` and 127.0.0.1. Returns the PEM file paths (the certificate is its own CA).
 */
export async function selfSignedCert(
  dir: string,
  domain: string,
): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, `${domain}.crt`);
  const keyFile = join(dir, `${domain}.key`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${domain}`,
    '-addext',
    `subjectAltName=DNS:${domain},IP:127.0.0.1`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile };
}
