import { expect } from 'vitest';

/** The JSON body of `res`, after checking its status (the body is in the failure message). */
export const expectJson = async <T>(res: Response, status = 200): Promise<T> => {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
};
