import { posix } from 'node:path';
import { z } from 'zod';
import { normaliseHash } from '../core/hash.js';
import { invalidParams, invalidParamsOf } from './errors.js';

/**
 * Parameter schemas shared by the methods, and the by-name / by-position mapping of JSON-RPC
 * params onto them. Every schema is strict: an unknown (misspelt) param is an error, not ignored.
 */

/** A string param: "is required" when missing rather than zod's generic type message. */
export const text = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

/** A path on the daemon's host (where the engine runs): absolute, since there is no cwd to resolve against. */
export const absolutePath = () =>
  text()
    .min(1, 'must not be empty')
    .refine((p) => !p.includes('\0'), 'must not contain NUL')
    .refine((p) => posix.isAbsolute(p), "must be an absolute path on the daemon's host");

/** An optional absolute path; `null` and `""` (what a client sends for "not given") count as absent. */
export const optionalAbsolutePath = () =>
  z.preprocess((v) => (v === null || v === '' ? undefined : v), absolutePath().optional());

const HEX40 = /^[0-9a-f]{40}$/;

export const infoHash = () =>
  text()
    .transform(normaliseHash)
    .pipe(
      z
        .string()
        .regex(
          HEX40,
          'must be a BitTorrent v1 info-hash (40 hex characters) or a magnet:?xt=urn:btih: link carrying one',
        ),
    );

/** A method's params: a strict object schema and the order of its members for by-position calls. */
export interface ParamSpec<S extends z.ZodObject> {
  schema: S;
  order: readonly (keyof S['shape'] & string)[];
}

export const noParams: ParamSpec<z.ZodObject<Record<string, never>>> = {
  schema: z.strictObject({}),
  order: [],
};

export function params<S extends z.ZodObject>(schema: S, order: ParamSpec<S>['order']): ParamSpec<S> {
  return { schema, order };
}

/**
 * JSON-RPC params (absent, by-name object or by-position array) validated against a spec;
 * throws -32602 naming every failing field.
 */
export function parseParams<S extends z.ZodObject>(spec: ParamSpec<S>, raw: unknown): z.output<S> {
  let input: unknown = raw ?? {};
  if (Array.isArray(raw)) {
    if (raw.length > spec.order.length) {
      const expected =
        spec.order.length === 0 ? 'no params' : `at most ${spec.order.length} (${spec.order.join(', ')})`;
      throw invalidParams([{ path: '', message: `takes ${expected}, got ${raw.length} by position` }]);
    }
    input = Object.fromEntries(raw.map((value, i) => [spec.order[i], value as unknown]));
  }
  const parsed = spec.schema.safeParse(input);
  if (!parsed.success) throw invalidParamsOf(parsed.error);
  return parsed.data;
}
