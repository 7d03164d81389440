import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Reads the file through ExactNameStore in a child process that may not write it: as root
// (which may write anything) the child runs as `nobody`; otherwise the file's mode (0444) stops us.
const STORE = pathToFileURL(path.join(import.meta.dirname, 'file-store.ts')).href;
const CHILD = `
import { ExactNameStore } from ${JSON.stringify(STORE)};
const [dir, length] = [process.argv[1], Number(process.argv[2])];
const store = new ExactNameStore(16384, { path: dir, files: [{ path: 'song.flac', length, offset: 0 }], length });
store.get(1, (err, buf) => {
  if (err) { console.log('error ' + err.code); process.exit(0); }
  console.log('read ' + Buffer.from(buf).toString('hex'));
  store.close(() => process.exit(0));
});
`;

describe('ExactNameStore', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bitween-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves a file it may read but not write (read-only share), opening it read-only', async () => {
    const data = randomBytes(3 * 16384);
    writeFileSync(path.join(dir, 'song.flac'), data);
    chmodSync(path.join(dir, 'song.flac'), 0o444);
    chmodSync(dir, 0o755);
    const isRoot = process.getuid?.() === 0;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dir, String(data.length)], {
        ...(isRoot ? { uid: 65534, gid: 65534 } : {}),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('error', reject);
      child.on('exit', () => resolve(stdout.trim()));
    });
    expect(out).toBe(`read ${data.subarray(16384, 2 * 16384).toString('hex')}`);
  });
});
