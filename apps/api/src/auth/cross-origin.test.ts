import { describe, expect, it } from 'vitest';
import { crossOriginRisk, mediaTypeOf } from './cross-origin.js';

describe('mediaTypeOf', () => {
  it('is the essence of a Content-Type, lower case', () => {
    expect(mediaTypeOf('Text/Plain; charset=utf-8')).toBe('text/plain');
    expect(mediaTypeOf('application/json')).toBe('application/json');
    expect(mediaTypeOf(undefined)).toBeNull();
    expect(mediaTypeOf(' ; x=y')).toBeNull();
  });
});

describe('crossOriginRisk', () => {
  const body = (type?: string) => ({
    'content-length': '2',
    ...(type === undefined ? {} : { 'content-type': type }),
  });

  it('refuses every body type an HTML form (or a simple fetch) can send on a state-changing method', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
      for (const type of [
        'text/plain',
        'text/plain;charset=UTF-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'TEXT/PLAIN',
      ]) {
        expect(crossOriginRisk(method, body(type)), `${method} ${type}`).toMatch(/not accepted/);
      }
    }
  });

  it('refuses a body without a Content-Type', () => {
    expect(crossOriginRisk('POST', body())).toMatch(/needs a Content-Type/);
    expect(crossOriginRisk('POST', { 'transfer-encoding': 'chunked' })).toMatch(/needs a Content-Type/);
  });

  it('takes JSON and other types that need a preflight, and requests without a body', () => {
    expect(crossOriginRisk('POST', body('application/json'))).toBeNull();
    expect(crossOriginRisk('POST', body('application/json; charset=utf-8'))).toBeNull();
    expect(crossOriginRisk('POST', body('application/x-bittorrent'))).toBeNull();
    expect(crossOriginRisk('POST', {})).toBeNull();
    expect(crossOriginRisk('DELETE', { 'content-length': '0' })).toBeNull();
  });

  it('leaves reads alone', () => {
    expect(crossOriginRisk('GET', body('text/plain'))).toBeNull();
    expect(crossOriginRisk('HEAD', body('text/plain'))).toBeNull();
    expect(crossOriginRisk('OPTIONS', body('text/plain'))).toBeNull();
  });

  it('takes multipart/form-data only where the route says so (uploads), and nothing else form-like there', () => {
    expect(crossOriginRisk('POST', body('multipart/form-data; boundary=x'), { multipart: true })).toBeNull();
    expect(crossOriginRisk('POST', body('text/plain'), { multipart: true })).toMatch(/not accepted/);
  });
});
