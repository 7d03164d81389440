import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from './config.js';

/**
 * A password from the terminal (not echoed) or, when stdin is not a terminal, its first line.
 * Never from the command line: arguments are visible to every user in `ps`.
 */
export async function readPassword(prompt: string): Promise<string> {
  const tty = process.stdin.isTTY;
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: tty });
  try {
    const line = await new Promise<string | null>((resolve) => {
      let answered = false;
      rl.once('close', () => {
        if (!answered) resolve(null);
      });
      if (tty) {
        rl.question(prompt, (answer) => {
          answered = true;
          resolve(answer);
        });
        muted = true;
      } else {
        rl.once('line', (answer) => {
          answered = true;
          resolve(answer);
        });
      }
    });
    if (tty) process.stderr.write('\n');
    if (!line) throw new CliError('no password given (type it at the prompt, or pipe it on stdin)', 2);
    return line;
  } finally {
    rl.close();
  }
}
