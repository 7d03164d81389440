import type { EngineRegistry } from '@bitween/bus';

/** The engines registry (KV) as the api uses it: read-only. */
export type Registry = Pick<EngineRegistry, 'live' | 'watch'>;
