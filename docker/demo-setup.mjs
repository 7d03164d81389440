// The demo profile's one-shot setup (docker-compose.yml, service demo-setup): enters alice's
// demo account into the main stack through the API the web UI uses (PUT /v1/account), unless
// that stack already has an account, and has bob (the demo's second stack) share a small file
// so that alice sees a friend's share at once. Safe to run again: it changes nothing twice.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`demo-setup: ${name} is not set`);
  return value;
};
const ALICE = { url: env('ALICE_API'), keyFile: env('ALICE_KEY_FILE') };
const BOB = { url: env('BOB_API'), keyFile: path.join(env('BOB_DATA'), 'api', 'api-key') };
const XMPP_SERVICE = env('XMPP_SERVICE');
const ACCOUNT = { jid: 'alice@bitween.demo', password: 'alice-demo', service: XMPP_SERVICE };
const SAMPLE = path.join(env('BOB_DATA'), 'downloads', 'hello-from-bob.txt');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, check, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(`demo-setup: timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function call(api, method, route, body) {
  const key = readFileSync(api.keyFile, 'utf8').trim();
  const res = await fetch(`${api.url}${route}`, {
    method,
    headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${route}: HTTP ${res.status} ${text}`);
  return json;
}

for (const api of [ALICE, BOB]) {
  await waitFor(`the api at ${api.url}`, async () => {
    if (!existsSync(api.keyFile)) return false;
    return (await fetch(`${api.url}/health`)).status < 600;
  });
}

const account = await call(ALICE, 'GET', '/v1/account');
if (account.configured) {
  console.log(`demo-setup: the main stack already has an account (${account.jid}); left as it is`);
} else {
  const set = await call(ALICE, 'PUT', '/v1/account', ACCOUNT);
  console.log(`demo-setup: entered ${set.jid} into the main stack (online: ${set.online})`);
}

if (!existsSync(SAMPLE)) {
  writeFileSync(
    SAMPLE,
    'Hello from bob! This file came to you over BitTorrent, found through XMPP.\n'.repeat(2000),
  );
}
const added = await waitFor("bob's engine", () =>
  call(BOB, 'POST', '/v1/torrents', { path: SAMPLE }).catch((err) => {
    console.log(`demo-setup: waiting for bob's engine (${err.message})`);
    return null;
  }),
);
console.log(`demo-setup: bob shares ${added.torrent.name} (${added.torrent.hash}); open ${ALICE.url}`);
