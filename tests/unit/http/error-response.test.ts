import { describe, expect, it } from 'vitest';
import {
  Conflict,
  Forbidden,
  InvalidInput,
  NotFound,
  PayloadTooLarge,
  RateLimited,
  Unauthenticated,
  UnsupportedMediaType,
} from '../../../src/app/errors';
import { errorResponse } from '../../../src/http/error-response';

describe('errorResponse', () => {
  it.each([
    [new InvalidInput('bad', [{ field: 'plan_id', message: 'unknown plan' }]), 400, 'invalid_request'],
    [new Unauthenticated('who?'), 401, 'unauthenticated'],
    [new Forbidden('no'), 403, 'forbidden'],
    [new NotFound('none'), 404, 'not_found'],
    [new Conflict('twice'), 409, 'conflict'],
    [new PayloadTooLarge('big'), 413, 'payload_too_large'],
    [new UnsupportedMediaType('xml?'), 415, 'unsupported_media_type'],
    [new RateLimited('slow down', 7), 429, 'rate_limited'],
  ])('maps %o to %i with code %s', (error, status, code) => {
    const res = errorResponse(error);
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body ?? '{}').error.code).toBe(code);
  });

  it('names the fields of invalid input in details', () => {
    const body = JSON.parse(errorResponse(new InvalidInput('bad', [{ field: 'plan_id', message: 'unknown plan' }])).body ?? '');
    expect(body).toEqual({ error: { code: 'invalid_request', message: 'bad', details: [{ field: 'plan_id', message: 'unknown plan' }] } });
  });

  it('sets Retry-After on 429', () => {
    expect(errorResponse(new RateLimited('slow down', 7)).headers?.['retry-after']).toBe('7');
  });

  it('hides the message of anything that is not a typed error', () => {
    const res = errorResponse(new Error('password=hunter2'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/hunter2/);
  });
});
