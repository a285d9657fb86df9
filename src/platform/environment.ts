import { AsyncLocalStorage } from 'node:async_hooks';

/** A function's environment variables. */
export type Environment = Readonly<Record<string, string | undefined>>;

const scoped = new AsyncLocalStorage<Environment>();

/**
 * The variables of the function running now. In Lambda that is the process environment; the
 * local runner serves every function from one process and runs each invocation inside the
 * environment the stack gives that function (`withEnvironment`), so a variable the stack does
 * not set is missing locally too.
 */
export const currentEnvironment = (): Environment => scoped.getStore() ?? process.env;

/**
 * Runs `fn` as a function whose environment is `env`: for the local runner; Lambda never needs it.
 *
 * @example
 * await withEnvironment({ TABLE_NAME: 'billing' }, () => handler(event, context));
 */
export const withEnvironment = <T>(env: Environment, fn: () => T): T => scoped.run(env, fn);

/**
 * One value per environment, built on first use: in Lambda, once per container; locally, once
 * per function, as if each ran in its own container.
 */
export const perEnvironment = <T>(build: (env: Environment) => T): (() => T) => {
  const built = new WeakMap<Environment, T>();
  return () => {
    const env = currentEnvironment();
    if (built.has(env)) return built.get(env) as T;
    const value = build(env);
    built.set(env, value);
    return value;
  };
};
