/**
 * Imported first by a benchmark: Powertools Metrics reads POWERTOOLS_METRICS_DISABLED when an
 * instance is made (at the import of src/platform/metrics.ts), and the local stack sets it only
 * after loading the handlers, so without this every invocation prints its EMF lines while the
 * benchmark times it. The npm scripts set it too; this covers `tsx tests/bench/...` run by hand.
 */
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

export {};
