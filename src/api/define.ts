/**
 * The API contract's building block: one route's operation described by the zod schemas the
 * handler validates with (body, query), the schemas of what it answers, and a valid example
 * request. The answers' schemas are built on first use: handlers never read them, and building
 * them when a function loads its contract cost every cold start (issue 20). The OpenAPI document (`openapi.ts`), the typed client (`packages/client`) and the
 * web page's types all come from these objects; the handlers validate with the same schemas.
 * Pure: imports zod, the domain and `contracts/` only.
 */
import type * as z from 'zod';

/** A response the operation documents: its description and, for JSON, the schema of its body. */
export interface ResponseContract {
  readonly description: string;
  /** The JSON body; none for a body that is not JSON (`contentType` says what it is). */
  readonly schema?: z.ZodType;
  /** A body that is not JSON, e.g. `text/csv; charset=utf-8`. */
  readonly contentType?: string;
}

/** A valid request for the document's examples and the contract test. `{id}` params are filled by the test. */
export interface RequestExample {
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string>>;
}

/**
 * A body the handler reads itself, as bytes, instead of the JSON the HTTP kernel parses (the
 * Stripe webhook verifies a signature over the raw body). Documented, not validated by `operation()`.
 */
export interface RawBodyContract {
  readonly contentType: string;
  readonly description: string;
  /** What the body holds once verified (documentation and the example's check). */
  readonly schema?: z.ZodType;
}

/** A request header the operation reads (beyond `Authorization` and `Idempotency-Key`, which come from the route's auth and `idempotency`). */
export interface HeaderContract {
  readonly description: string;
  readonly required?: boolean;
}

export interface OperationContract {
  readonly summary: string;
  readonly description?: string;
  /** The request body schema (JSON). None: the route takes no body (a body is a 400). */
  readonly body?: z.ZodType;
  /**
   * What the document shows for `body` when `body` cannot show it itself: a body schema that
   * picks between schemas in a transform (for errors that name the record and field) documents
   * as the union of those schemas. Must accept exactly what `body` accepts (a unit test checks).
   */
  readonly documentedBody?: z.ZodType;
  /** A body the handler reads raw (see `RawBodyContract`); exclusive with `body`. */
  readonly rawBody?: RawBodyContract;
  /** The query string schema: an object of strings (coerced where numeric). */
  readonly query?: z.ZodType;
  /** Path parameters (`{id}` in the route's path) and what each names; undescribed ones are plain strings. */
  readonly params?: Readonly<Record<string, string>>;
  /** Request headers the operation reads, by name as clients send it (`Stripe-Signature`). */
  readonly headers?: Readonly<Record<string, HeaderContract>>;
  /**
   * Success responses by status (200, 201, 202, 204, 302), built at the first call and kept.
   * Errors are documented from the route's auth.
   */
  readonly responses: () => Readonly<Record<number, ResponseContract>>;
  /**
   * Failures beyond those every route of its kind documents (400 for input, 401/403 by auth, 404
   * on `{param}` paths, 413/415 for JSON bodies, 429, 500), each with when it happens: 402, 404,
   * 409, 503. A status listed here also replaces the general description of a derived one.
   */
  readonly errors?: Readonly<Record<number, string>>;
  readonly example?: RequestExample;
}

/**
 * `build()` once, at the first call, for schemas only the answers use: those named with
 * `.meta({ id })` must be built once, and none is built when a handler loads its contract.
 * @example
 * const invoiceSchema = lazy(() => z.strictObject({ id: z.string() }).meta({ id: 'Invoice' }));
 */
export const lazy = <T>(build: () => T): (() => T) => {
  let built: { readonly value: T } | undefined;
  return () => (built ??= { value: build() }).value;
};

/** Declares one operation's contract, keeping its literal types (so `z.output` of each schema reaches the client). */
export const contract = <const C extends OperationContract>(c: C): C => ({ ...c, responses: lazy(c.responses) });

type Responses<C extends OperationContract> = ReturnType<C['responses']>;

/** The success body type of an operation (its lowest 2xx status with a JSON schema). */
export type SuccessBody<C extends OperationContract> = {
  [S in keyof Responses<C>]: S extends 200 | 201 | 202
    ? Responses<C>[S] extends { schema: infer T extends z.ZodType }
      ? z.output<T>
      : never
    : never;
}[keyof Responses<C>];

/** What a caller sends: the body's input type (as documented) and the query's input type. */
export type BodyOf<C extends OperationContract> = C['documentedBody'] extends z.ZodType
  ? z.input<C['documentedBody']>
  : C['body'] extends z.ZodType
    ? z.input<C['body']>
    : undefined;
export type QueryOf<C extends OperationContract> = C['query'] extends z.ZodType ? z.input<C['query']> : undefined;
