/**
 * The web console as a browser without script sees it: real HTTP to the daemon's listener, the
 * cookies it sets kept between requests, forms posted with the tokens the pages carry.
 */
import * as http from 'node:http';
import { TEST_CONFIG } from './harness';

export const CONSOLE_TOKEN = 'console-api-token-0123456789';
export const ALICE_PASSWORD = 'correct horse battery staple';
process.env['TEST_CONSOLE_TOKEN'] = CONSOLE_TOKEN;
process.env['ALICE_CONSOLE_PASSWORD'] = ALICE_PASSWORD;

/** TEST_CONFIG with the console on, the API token, and a console password for Alice. */
export const CONSOLE_CONFIG = TEST_CONFIG.replace(
  '  http_listen: 127.0.0.1:0',
  '  http_listen: 127.0.0.1:0\n  api_token_env: TEST_CONSOLE_TOKEN\n  console: { enabled: true }',
).replace(
  "{ id: alice, name: Alice, phones: ['PJSIP/alice'] }",
  "{ id: alice, name: Alice, phones: ['PJSIP/alice'], console_password_env: ALICE_CONSOLE_PASSWORD }",
);

export interface ConsoleResponse {
  status: number;
  text: string;
  headers: Headers;
  setCookies: string[];
}

export class ConsoleClient {
  readonly cookies = new Map<string, string>();

  /** `localAddress`: another loopback address (127.0.0.2) to come from, as another client would. */
  constructor(
    private readonly base: string,
    private readonly localAddress?: string,
  ) {}

  async request(
    pathname: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<ConsoleResponse> {
    const body = init.form === undefined ? undefined : new URLSearchParams(init.form).toString();
    const url = new URL(pathname, this.base);
    const { status, headers, text } = await new Promise<{
      status: number;
      headers: http.IncomingHttpHeaders;
      text: string;
    }>((resolve, reject) => {
      const request = http.request(
        url,
        {
          method: init.method ?? (body === undefined ? 'GET' : 'POST'),
          ...(this.localAddress === undefined ? {} : { localAddress: this.localAddress }),
          headers: {
            Cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
            ...(body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded' }),
          },
        },
        (response) => {
          let received = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (received += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode!, headers: response.headers, text: received }),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    const setCookies = [headers['set-cookie'] ?? []].flat();
    for (const header of setCookies) {
      const [pair] = header.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (value === '' || /Max-Age=0/.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const asHeaders = new Headers();
    for (const [name, value] of Object.entries(headers))
      for (const one of [value ?? []].flat()) asHeaders.append(name, one);
    return { status, text, headers: asHeaders, setCookies };
  }

  get(pathname: string): Promise<ConsoleResponse> {
    return this.request(pathname);
  }

  /** Posts a form with the CSRF token of the page it came from. */
  post(
    pathname: string,
    page: ConsoleResponse,
    fields: Record<string, string> = {},
  ): Promise<ConsoleResponse> {
    return this.request(pathname, { form: { csrf: csrfOf(page), ...fields } });
  }

  async signIn(who: string, password: string, zone = ''): Promise<ConsoleResponse> {
    const form = await this.get('/console/sign-in');
    return this.post('/console/sign-in', form, { who, password, zone, next: '' });
  }
}

export function csrfOf(page: ConsoleResponse): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page.text);
  if (match === null) throw new Error(`no CSRF token in the page (status ${page.status})`);
  return match[1]!;
}
