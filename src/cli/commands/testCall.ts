/**
 * `lcr test-call <route> --to <phone>`: Asterisk rings the operator's own phone; answered, the
 * call is a caller on the route, so every option can be tried for real, with real prompts and
 * real responders. `--option N` goes straight to option N after the greeting; `--dialplan
 * <context>` enters through the dialplan instead (extensions.conf's [lcr-test-call]), as a call
 * from the trunk would, which also tests the Stasis() line.
 */
import { randomUUID } from 'node:crypto';
import { ariRequest, type AriAnswer } from '../../ari/request';
import { normaliseDialedNumber, toDialString } from '../../config/dialString';
import type { Config } from '../../config/model';
import { resolveAriPassword, StartupError } from '../../daemon';
import { openDatabase } from '../../store/database';
import { CallStore, type CallRow } from '../../store/calls';
import { SqliteDatabase } from '../../store/sql/sqlite';
import { CliFailure, EXIT_USAGE, type CliIo } from '../io';
import { loadOrFail } from './shared';

export interface TestCallOptions {
  to: string;
  option?: string;
  dialplan?: string;
  ringTimeout?: string;
  /** asterisk[].name: which Asterisk places the call (default the first listed). */
  asterisk?: string;
}

interface Ari {
  request(method: string, path: string, query?: Record<string, string>): Promise<AriAnswer>;
}

function ariClient(config: Config): Ari {
  let password: string;
  try {
    password = resolveAriPassword(config);
  } catch (error) {
    throw new CliFailure((error as StartupError).message);
  }
  return {
    async request(method, path, query = {}) {
      try {
        return await ariRequest(config.asterisk, password, method, path, { query, timeoutMs: 10_000 });
      } catch (error) {
        const reason = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
        throw new CliFailure(`cannot reach ARI at ${config.asterisk.url}: ${reason} (lcr doctor tells more)`);
      }
    },
  };
}

/** A responder id (their first phone), an E.164 number (through the trunk) or a dial string. */
function phoneToCall(config: Config, to: string): string {
  const responder = config.responders.get(to);
  if (responder !== undefined) {
    const phone = responder.phones[0];
    if (phone === undefined) throw new CliFailure(`responder ${to} has no phone`, EXIT_USAGE);
    return phone.dialString;
  }
  return toDialString(to, config.settings.trunkTemplate);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function testCallCommand(
  io: CliIo,
  file: string,
  routeId: string,
  options: TestCallOptions,
): Promise<void> {
  const { config: loaded } = loadOrFail(io, file);
  const asterisk =
    options.asterisk === undefined
      ? loaded.asterisk
      : loaded.asterisks.find((a) => a.name === options.asterisk);
  if (asterisk === undefined)
    throw new CliFailure(
      `no Asterisk named "${options.asterisk}"; asterisk names: ${loaded.asterisks.map((a) => a.name).join(', ')}`,
      EXIT_USAGE,
    );
  const config = { ...loaded, asterisk };
  const route = config.routes.find((r) => r.id === routeId);
  if (route === undefined)
    throw new CliFailure(
      `no route "${routeId}"; routes: ${config.routes.map((r) => r.id).join(', ')}`,
      EXIT_USAGE,
    );
  const option =
    options.option === undefined ? undefined : route.options.find((o) => o.key === options.option);
  if (options.option !== undefined && option === undefined)
    throw new CliFailure(
      `route ${route.id} has no option ${options.option}; options: ${route.options.map((o) => `${o.key} (${o.label})`).join(', ')}`,
      EXIT_USAGE,
    );
  if (option !== undefined && options.dialplan !== undefined)
    throw new CliFailure(
      '--option and --dialplan do not go together: through the dialplan, press the key yourself',
      EXIT_USAGE,
    );
  const endpoint = phoneToCall(config, options.to);
  const ari = ariClient(config);
  const app = await ari.request('GET', `/applications/${encodeURIComponent(config.asterisk.app)}`);
  if (app.status === 401)
    throw new CliFailure(`ARI refused user "${config.asterisk.username}" (401): check ari.conf`);
  if (app.status !== 200)
    throw new CliFailure(
      `the Stasis application "${config.asterisk.app}" is not registered: start lcr (lcr start) before a test call`,
    );
  const channelId = `lcr-test-${randomUUID()}`;
  const number = route.numbers[0]!;
  const common = {
    endpoint,
    channelId,
    callerId: `"lcr test call" <${normaliseDialedNumber(number)}>`,
    timeout: String(options.ringTimeout ?? 30),
  };
  const query =
    options.dialplan !== undefined
      ? { ...common, context: options.dialplan, extension: normaliseDialedNumber(number), priority: '1' }
      : {
          ...common,
          app: config.asterisk.app,
          appArgs: option === undefined ? route.id : `${route.id},option=${option.key}`,
        };
  io.out(
    `Calling ${endpoint}: answer it to be a caller on "${route.name}" (${number})${option ? `, option ${option.key} (${option.label})` : ''}${options.dialplan ? `, through dialplan context ${options.dialplan}` : ''}.`,
  );
  const placed = await ari.request('POST', '/channels', query);
  if (placed.status !== 200)
    throw new CliFailure(
      `Asterisk did not place the call (${placed.status}): ${JSON.stringify(placed.body)}; check that ${endpoint} exists (lcr doctor)`,
    );
  let answered = false;
  for (;;) {
    await sleep(300);
    const state = await ari.request('GET', `/channels/${encodeURIComponent(channelId)}`);
    if (state.status === 404) break;
    const body = state.body as { state?: string };
    if (!answered && body.state === 'Up') {
      answered = true;
      io.out('Answered: you are the caller now. Listen, press keys, hang up when done.');
    }
  }
  if (!answered) throw new CliFailure(`${endpoint} did not answer the test call`);
  const row = await finishedRow(config, channelId);
  if (row === undefined) {
    io.out('The call ended; lcr has no record of it (did it reach Stasis? try lcr doctor).');
    return;
  }
  io.out(
    `The call ended. lcr recorded call ${row.id}: route ${row.route_id ?? '-'}, option ${row.option_key ?? '-'}, outcome ${row.outcome}${row.outcome_detail ? ` (${row.outcome_detail})` : ''}.`,
  );
  io.out(`Details: lcr calls show ${row.id}`);
}

async function finishedRow(config: Config, channelId: string): Promise<CallRow | undefined> {
  const db = openDatabase(config.settings.database, { readonly: true });
  try {
    const calls = new CallStore(new SqliteDatabase(db, `sqlite:${config.settings.database}`));
    for (let i = 0; i < 50; i++) {
      const row = await calls.callOfChannel(channelId);
      if (row !== undefined && row.ended_at !== null) return row;
      await sleep(200);
    }
    return await calls.callOfChannel(channelId);
  } finally {
    db.close();
  }
}
