import { describe, expect, it } from 'vitest';

describe('the test runtime', () => {
  it('is Node 22, the runtime the Lambdas run on (nodejs22.x), from the node@22 dev dependency', () => {
    // npm scripts put node_modules/.bin first on PATH, where the `node` package puts Node 22.
    expect(process.versions.node.split('.')[0]).toBe('22');
  });
});
