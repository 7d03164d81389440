#!/usr/bin/env node
// bitween-nats-auth: the NATS users of bitween's services.
//   init DIR    generate what is missing below DIR (layout: see natsAuthLayout) and write
//               DIR/server/auth.conf from the permission table; the one-shot `nats-auth` service
//               of docker-compose.yml runs this before NATS and the services start.
//   table       print the permission table (Markdown).
import { ensureNatsAuth, natsAuthLayout } from './credentials.js';
import { describeTable } from './permissions.js';

const [command, dir] = process.argv.slice(2);

if (command === 'init' && dir) {
  try {
    const auth = ensureNatsAuth(natsAuthLayout(dir));
    for (const user of Object.values(auth.users)) {
      console.log(`nats-auth: ${user.name}: ${user.publicKey} (seed ${user.seed}: ${user.seedFile})`);
    }
    console.log(`nats-auth: wrote ${auth.serverConfig}`);
  } catch (err) {
    console.error(`nats-auth: ${(err as Error).message}`);
    process.exit(1);
  }
} else if (command === 'table') {
  console.log(describeTable());
} else {
  console.error('usage: bitween-nats-auth init DIR | table');
  process.exit(2);
}
