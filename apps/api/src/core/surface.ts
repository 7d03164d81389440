/**
 * The public members of a core service class: the interface the adapters are written against
 * and an in-memory fake implements (a class type with private fields could not be implemented).
 */
export type Surface<T> = { [K in keyof T]: T[K] };
