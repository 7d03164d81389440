import type { z } from 'zod';

/**
 * A request/reply command: the subject, the request and response schemas, and (for commands
 * any one instance may take) the queue group. `P` are the subject's parameters, for commands
 * addressed to one instance (`bitween.v1.engine.instance.<engineId>.list`).
 */
export interface Command<Req extends z.ZodType, Res extends z.ZodType, P = void> {
  readonly kind: 'command';
  readonly name: string;
  readonly subject: (params: P) => string;
  readonly request: Req;
  readonly response: Res;
  readonly queue?: string;
}

/** A published event; `P` parameterises the subject, `pattern` subscribes to all of them. */
export interface Event<Payload extends z.ZodType, P = void> {
  readonly kind: 'event';
  readonly name: string;
  readonly subject: (params: P) => string;
  readonly pattern: string;
  readonly payload: Payload;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = Command<z.ZodType, z.ZodType, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEvent = Event<z.ZodType, any>;

/* eslint-disable @typescript-eslint/no-explicit-any -- `any` in the parameter slot: subject
   functions are contravariant in their params, so `unknown` would match nothing. */
export type RequestOf<C> = C extends Command<infer Req, z.ZodType, any> ? z.input<Req> : never;
export type ResponseOf<C> = C extends Command<z.ZodType, infer Res, any> ? z.output<Res> : never;
export type ParamsOf<C> =
  C extends Command<z.ZodType, z.ZodType, infer P> ? P : C extends Event<z.ZodType, infer P> ? P : never;
export type PayloadOf<E> = E extends Event<infer Payload, any> ? z.output<Payload> : never;
/* eslint-enable @typescript-eslint/no-explicit-any */

export function command<Req extends z.ZodType, Res extends z.ZodType, P = void>(def: {
  name: string;
  subject: string | ((params: P) => string);
  request: Req;
  response: Res;
  queue?: string;
}): Command<Req, Res, P> {
  const { subject } = def;
  return {
    kind: 'command',
    ...def,
    subject: typeof subject === 'string' ? () => subject : subject,
  };
}

export function event<Payload extends z.ZodType, P = void>(def: {
  name: string;
  subject: string | ((params: P) => string);
  pattern?: string;
  payload: Payload;
}): Event<Payload, P> {
  const { subject } = def;
  if (typeof subject !== 'string' && !def.pattern) {
    throw new Error(`event ${def.name}: a parameterised subject needs a pattern`);
  }
  return {
    kind: 'event',
    name: def.name,
    payload: def.payload,
    subject: typeof subject === 'string' ? () => subject : subject,
    pattern: def.pattern ?? (subject as string),
  };
}
