/**
 * `lcr doctor`: the checks the troubleshooting pages of hosted products tell people to make by
 * hand, each with a pass/warn/fail line and, when it is not a pass, what to do about it.
 */
import * as fs from 'node:fs';
import type { Config } from '../config/model';
import { resolveSecret } from '../config/secrets';
import type { PostgresSettings } from '../config/schema';
import { openDatabase } from '../store/database';
import { LeaseStore } from '../store/leases';
import { isAlive, NodeStore } from '../store/nodes';
import { openPostgres, withoutSecrets } from '../store/sql/postgres';
import { smtpTransport } from '../notifications/email';
import { ariRequest, type AriAnswer } from '../ari/request';
import { extensionMatches, failoverGaps, stasisExtensions } from './dialplan';
import { checkPrompts } from './promptChecks';

const SYSTEM_DIALPLAN = '/etc/asterisk/extensions.conf';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'info';

export interface CheckResult {
  status: CheckStatus;
  title: string;
  fix?: string;
}

function ariGet(config: Config, password: string, path: string): Promise<AriAnswer> {
  return ariRequest(config.asterisk, password, 'GET', path, { timeoutMs: 5000 });
}

async function checkAri(config: Config, password: string): Promise<CheckResult[]> {
  const url = config.asterisk.url;
  let info: AriAnswer;
  try {
    info = await ariGet(config, password, '/asterisk/info');
  } catch (error) {
    const reason = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    return [
      {
        status: 'fail',
        title: `ARI reachable at ${url}: ${reason}`,
        fix: 'in http.conf set enabled=yes and a bindaddr/bindport this machine can reach; check firewalls; asterisk.url must match',
      },
    ];
  }
  if (info.status === 401)
    return [
      {
        status: 'fail',
        title: `ARI credentials for user "${config.asterisk.username}" refused (401)`,
        fix: `ari.conf needs [${config.asterisk.username}] type=user password=<the password in asterisk.password_env/_file>; reload with "module reload res_ari.so"`,
      },
    ];
  if (info.status !== 200)
    return [
      {
        status: 'fail',
        title: `ARI at ${url}/ari answered ${info.status}`,
        fix: 'load res_ari.so and the res_ari_* modules (modules.conf), and set enabled=yes in ari.conf',
      },
    ];
  const version = (info.body as { system?: { version?: string } }).system?.version ?? 'unknown version';
  const results: CheckResult[] = [
    { status: 'pass', title: `ARI reachable at ${url}, credentials accepted (Asterisk ${version})` },
  ];
  const app = await ariGet(config, password, `/applications/${encodeURIComponent(config.asterisk.app)}`);
  results.push(
    app.status === 200
      ? {
          status: 'pass',
          title: `Stasis application "${config.asterisk.app}" is registered (a daemon is connected)`,
        }
      : {
          status: 'warn',
          title: `Stasis application "${config.asterisk.app}" is not registered: no daemon is connected`,
          fix:
            'start the daemon (lcr start); calls reaching Stasis(' +
            config.asterisk.app +
            ') fail until it is connected',
        },
  );
  for (const peer of config.asterisk.peers) {
    const registered = await ariGet(config, password, `/applications/${encodeURIComponent(peer)}`);
    results.push(
      registered.status === 200
        ? { status: 'pass', title: `peer daemon "${peer}" is registered: it takes the calls this one cannot` }
        : {
            status: 'warn',
            title: `peer daemon "${peer}" is not registered: while this daemon is down or stopping, its callers have nobody to go to`,
            fix: `start the daemon whose asterisk.app is ${peer}, or remove it from asterisk.peers`,
          },
    );
  }
  results.push(...(await checkPhones(config, password)));
  return results;
}

/** PJSIP endpoints named in responders' phones (or the trunk of E.164 numbers) must exist in Asterisk. */
async function checkPhones(config: Config, password: string): Promise<CheckResult[]> {
  const endpoints = new Map<string, string[]>();
  for (const responder of config.responders.values())
    for (const phone of responder.phones) {
      const match = /^PJSIP\/(?:[^@]*@)?([^@/]+)$/.exec(phone.dialString);
      if (match === null) continue;
      const endpoint = phone.dialString.includes('@') ? match[1]! : phone.dialString.slice('PJSIP/'.length);
      endpoints.set(endpoint, [...(endpoints.get(endpoint) ?? []), `${responder.id} (${phone.configured})`]);
    }
  const results: CheckResult[] = [];
  for (const [endpoint, users] of endpoints) {
    const answer = await ariGet(config, password, `/endpoints/PJSIP/${encodeURIComponent(endpoint)}`);
    if (answer.status === 404)
      results.push({
        status: 'fail',
        title: `PJSIP endpoint "${endpoint}" does not exist (used by ${users.join(', ')})`,
        fix: `add [${endpoint}] (type=endpoint, with its aor and auth) to pjsip.conf, or correct the phone / settings.trunk_template`,
      });
    else if ((answer.body as { state?: string }).state === 'offline')
      results.push({
        status: 'warn',
        title: `PJSIP endpoint "${endpoint}" exists but is offline (used by ${users.join(', ')})`,
        fix: 'the phone or trunk is not registered / not reachable right now: calls to it fail until it is',
      });
    else
      results.push({
        status: 'pass',
        title: `PJSIP endpoint "${endpoint}" exists (used by ${users.join(', ')})`,
      });
  }
  return results;
}

async function checkStorage(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  try {
    fs.mkdirSync(config.settings.storageDir, { recursive: true });
    fs.accessSync(config.settings.storageDir, fs.constants.W_OK);
    results.push({ status: 'pass', title: `storage directory ${config.settings.storageDir} is writable` });
  } catch (error) {
    results.push({
      status: 'fail',
      title: `storage directory ${config.settings.storageDir} is not writable: ${(error as Error).message}`,
      fix: 'create it and give the user running lcr write access, or change settings.storage_dir',
    });
  }
  if (config.settings.postgres === undefined) {
    try {
      const db = openDatabase(config.settings.database);
      try {
        db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('doctor', ?)`).run(String(Date.now()));
      } finally {
        db.close();
      }
      results.push({ status: 'pass', title: `database ${config.settings.database} opens and takes writes` });
    } catch (error) {
      results.push({
        status: 'fail',
        title: `database ${config.settings.database}: ${(error as Error).message}`,
        fix: 'check the path and permissions of settings.database (and that the disk is not full)',
      });
    }
  } else results.push(...(await checkPostgres(config, config.settings.postgres)));
  return results;
}

/** The shared PostgreSQL: reachable, takes writes, and who of the cluster is alive and holds which lease. */
async function checkPostgres(config: Config, postgres: PostgresSettings): Promise<CheckResult[]> {
  const where = withoutSecrets(postgres.url);
  let sql;
  try {
    const password = resolveSecret(postgres.password, config.source, 'settings.database.password');
    sql = await openPostgres({
      url: postgres.url,
      ...(password === undefined ? {} : { password }),
      poolSize: 2,
    });
  } catch (error) {
    return [
      {
        status: 'fail',
        title: `database ${where}: ${(error as Error).message}`,
        fix: 'check settings.database.url, the password, that PostgreSQL listens there and that pg_hba.conf lets this host in',
      },
    ];
  }
  try {
    const now = Date.now();
    await sql.run(
      `INSERT INTO meta (key, value) VALUES ('doctor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(now)],
    );
    const results: CheckResult[] = [{ status: 'pass', title: `database ${where} opens and takes writes` }];
    const leaseMs = postgres.leaseSeconds * 1000;
    const members = await new NodeStore(sql).list();
    for (const member of members)
      results.push({
        status: 'info',
        title: `daemon ${member.id} (application ${member.app} on ${member.host}): ${
          isAlive(member, now, leaseMs)
            ? 'alive'
            : member.stopped_at === null
              ? `silent since ${new Date(member.heartbeat_at).toISOString()}`
              : `stopped at ${new Date(member.stopped_at).toISOString()}`
        }`,
      });
    for (const lease of await new LeaseStore(sql).list())
      results.push({
        status: 'info',
        title: `engine lease ${lease.name}: ${lease.holder} (token ${lease.token}, ${
          lease.expires_at > now ? `until ${new Date(lease.expires_at).toISOString()}` : 'expired'
        })`,
      });
    return results;
  } catch (error) {
    return [{ status: 'fail', title: `database ${where}: ${(error as Error).message}` }];
  } finally {
    await sql.close();
  }
}

async function checkSmtp(config: Config): Promise<CheckResult[]> {
  const email = config.notifications.email;
  if (email === undefined)
    return [{ status: 'info', title: 'email notifications are not configured (notifications.email)' }];
  try {
    const password = resolveSecret(email.password, config.source, 'notifications.email.password');
    const transport = smtpTransport(email, password, 5000);
    try {
      await transport.verify();
    } finally {
      transport.close();
    }
    return [
      {
        status: 'pass',
        title: `SMTP server ${email.host}:${email.port} reachable${email.username ? ', login accepted' : ''}`,
      },
    ];
  } catch (error) {
    return [
      {
        status: 'fail',
        title: `SMTP server ${email.host}:${email.port}: ${(error as Error).message}`,
        fix: 'check notifications.email host, port and tls, and the username/password',
      },
    ];
  }
}

/**
 * Where the dialplan can be read (lcr doctor on the Asterisk machine, or --dialplan), every
 * active route's number must reach an extension that runs Stasis(<app>).
 */
function checkDialplan(config: Config, file: string | undefined): CheckResult[] {
  const app = config.asterisk.app;
  const numbers = config.routes.filter((r) => r.active).flatMap((r) => r.numbers);
  let text: string;
  try {
    if (file === undefined) throw new Error('no file');
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [
      {
        status: 'info',
        title: `the dialplan cannot be read here${file ? ` (${file})` : ''}: make sure ${numbers.join(', ')} reach Stasis(${app})`,
        fix: `run lcr doctor --dialplan /etc/asterisk/extensions.conf, or see asterisk-config/extensions.conf: exten => _X.,1,Stasis(${app})`,
      },
    ];
  }
  const extensions = stasisExtensions(text, app);
  if (extensions.length === 0)
    return [
      {
        status: 'fail',
        title: `${file} has no extension that runs Stasis(${app})`,
        fix: `add to the context your trunk delivers calls to: exten => _X.,1,Stasis(${app}) (see asterisk-config/extensions.conf)`,
      },
    ];
  return config.routes
    .filter((r) => r.active)
    .flatMap((route) =>
      route.numbers.map((number): CheckResult => {
        const digits = number.replace(/\D/g, '');
        const hit = extensions.find((e) =>
          [digits, `+${digits}`].some((d) => extensionMatches(e.pattern, d)),
        );
        const gaps = hit === undefined ? [] : failoverGaps(hit, app, config.asterisk.peers);
        if (hit !== undefined && gaps.length > 0)
          return {
            status: 'warn',
            title: `route ${route.id}: ${number} reaches Stasis(${app}) (${file}:${hit.line}, [${hit.context}] ${hit.pattern}) but ${gaps.join(' and ')}: when this daemon is down or stopping, its callers are not handed to the others`,
            fix: `run each daemon's Stasis() in turn, with nothing between them: same => n,Stasis(${[app, ...config.asterisk.peers].join(')\n same => n,Stasis(')}) (see asterisk-config/extensions.conf)`,
          };
        return hit
          ? {
              status: 'pass',
              title: `route ${route.id}: ${number} reaches Stasis(${app})${config.asterisk.peers.length > 0 ? ` and then ${config.asterisk.peers.map((p) => `Stasis(${p})`).join(', ')}` : ''} (${file}:${hit.line}, [${hit.context}] ${hit.pattern})`,
            }
          : {
              status: 'warn',
              title: `route ${route.id}: ${number} matches none of ${extensions.map((e) => `[${e.context}] ${e.pattern}`).join(', ')}`,
              fix: 'check the format your trunk delivers the number in (with or without + and country code) and the Stasis extension pattern',
            };
      }),
    );
}

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  /** extensions.conf to read; undefined: /etc/asterisk/extensions.conf when present. */
  dialplan?: string;
}

export async function runChecks(config: Config, options: DoctorOptions = {}): Promise<CheckResult[]> {
  const env = options.env ?? process.env;
  const results: CheckResult[] = [];
  // Each Asterisk is checked alike: a caller on any of them has its responders rung through it,
  // so each needs the application, the peers and the phones.
  const several = config.asterisks.length > 1;
  for (const [index, asterisk] of config.asterisks.entries()) {
    const setting = several ? `asterisk[${index}].password` : 'asterisk.password';
    const named = (result: CheckResult): CheckResult =>
      several ? { ...result, title: `Asterisk ${asterisk.name}: ${result.title}` } : result;
    let password: string | undefined;
    try {
      password = resolveSecret(asterisk.password, config.source, setting, env) ?? '';
    } catch (error) {
      results.push({
        status: 'fail',
        title: (error as Error).message,
        fix: 'set the variable or create the file, then run lcr doctor again',
      });
    }
    if (password !== undefined)
      results.push(...(await checkAri({ ...config, asterisk }, password)).map(named));
  }
  const dialplan = options.dialplan ?? (fs.existsSync(SYSTEM_DIALPLAN) ? SYSTEM_DIALPLAN : undefined);
  results.push(
    ...checkDialplan(config, dialplan),
    ...(await checkStorage(config)),
    ...(await checkPrompts(config)),
    ...(await checkSmtp(config)),
  );
  return results;
}
