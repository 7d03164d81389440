import type { NatsPermissions } from './permissions.js';

export interface NatsUser {
  /** What the user is (a comment in the file). */
  name: string;
  /** `U…` */
  publicKey: string;
  permissions: NatsPermissions;
}

const quote = (s: string) => JSON.stringify(s);
const list = (items: string[], indent: string) =>
  items.length === 0 ? '[]' : `[\n${items.map((i) => `${indent}  ${quote(i)}`).join(',\n')}\n${indent}]`;

/**
 * The `authorization` block of a nats-server configuration: one NKEY user per service with its
 * permissions. Nothing secret: public keys only. Everything else (port, JetStream, store) the
 * caller passes on nats-server's command line, which overrides a configuration file.
 */
export function renderServerConfig(users: NatsUser[]): string {
  const blocks = users.map((u) => {
    const p = u.permissions;
    return [
      `    # ${u.name}`,
      '    {',
      `      nkey: ${quote(u.publicKey)}`,
      '      permissions: {',
      `        publish: { allow: ${list(p.publish.allow, '        ')} }`,
      `        subscribe: { allow: ${list(p.subscribe.allow, '        ')} }`,
      ...(p.allow_responses ? ['        allow_responses: true'] : []),
      '      }',
      '    }',
    ].join('\n');
  });
  return [
    '# bitween: who may connect to this NATS server, and what each service may publish and subscribe to.',
    '# Generated from the permission table in libs/nats-auth at every start: edits here are overwritten.',
    '# Public keys only; each service keeps its seed in a file of its own (mode 0600).',
    'authorization {',
    '  users = [',
    blocks.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
