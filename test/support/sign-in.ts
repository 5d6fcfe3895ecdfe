import { request } from 'node:https';

/** The browser's part of a delegated sign-in: follows the authorize URL to the redirect and returns its query. */
export function authorize(url: string, ca: string): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    request(url, { method: 'GET', ca }, (res) => {
      res.resume();
      const location = res.headers.location;
      if (location === undefined) reject(new Error(`no redirect (${res.statusCode})`));
      else resolve(new URL(location).searchParams);
    }).on('error', reject).end();
  });
}
