/**
 * Start-up configuration versus live configuration. The daemon reads the start-up part once
 * (connections, files, the listener, its addresses, the SMTP transport, how prompts are made and
 * delivered) and keeps it until it stops; a reload replaces only the live part (routes, teams,
 * policies, schedules, responders, prompt texts, webhooks and the other per-call settings).
 * A reloaded configuration is therefore always the running start-up part plus the new live
 * part, and the start-up keys that differ are named as waiting for a restart: nothing is half
 * applied (GoAlert keeps app/config.go apart from its reloadable config/config.go likewise).
 */
import type {
  AsteriskSettings,
  Config,
  EmailSettings,
  NotificationSettings,
  PromptSettings,
  Settings,
} from './model';

/** Keys of `settings` that are read once at start. */
type StartupSettingKey =
  | 'database'
  | 'postgres'
  | 'nodeId'
  | 'storageDir'
  | 'httpListen'
  | 'publicUrl'
  | 'mediaUrl'
  | 'apiToken'
  | 'logLevel'
  | 'logFormat';

/** What needs a restart to change. */
export interface StartupConfig {
  asterisks: AsteriskSettings[];
  settings: Pick<Settings, StartupSettingKey>;
  /** The SMTP transport: whether emails are sent at all, and through which server. */
  notifications: { email?: EmailSettings };
  /** How prompts are made and delivered (everything but their texts). */
  prompts: Omit<PromptSettings, 'texts'>;
}

/** What a reload changes. */
export interface LiveConfig {
  settings: Omit<Settings, StartupSettingKey>;
  notifications: Omit<NotificationSettings, 'email'>;
  prompts: Pick<PromptSettings, 'texts'>;
  responders: Config['responders'];
  schedules: Config['schedules'];
  policies: Config['policies'];
  teams: Config['teams'];
  routes: Config['routes'];
}

export function startupPart(config: Config): StartupConfig {
  const {
    database,
    postgres,
    nodeId,
    storageDir,
    httpListen,
    publicUrl,
    mediaUrl,
    apiToken,
    logLevel,
    logFormat,
  } = config.settings;
  const email = config.notifications.email;
  return {
    asterisks: config.asterisks,
    settings: {
      database,
      ...(postgres === undefined ? {} : { postgres }),
      ...(nodeId === undefined ? {} : { nodeId }),
      storageDir,
      httpListen,
      ...(publicUrl === undefined ? {} : { publicUrl }),
      ...(mediaUrl === undefined ? {} : { mediaUrl }),
      apiToken,
      logLevel,
      logFormat,
    },
    notifications: email === undefined ? {} : { email },
    prompts: without(config.prompts, 'texts'),
  };
}

/** The configuration a reload puts in force: `reloaded` with every start-up value of the running daemon. */
export function withStartup(reloaded: Config, startup: StartupConfig): Config {
  // The start-up keys are removed first: an optional one the running daemon does not have
  // (no media_url at start) must not come in from the reloaded file.
  const liveSettings = without(reloaded.settings, 'publicUrl', 'mediaUrl');
  const liveNotifications = without(reloaded.notifications, 'email');
  return {
    ...reloaded,
    asterisk: startup.asterisks[0]!,
    asterisks: startup.asterisks,
    settings: { ...liveSettings, ...startup.settings },
    notifications: { ...liveNotifications, ...startup.notifications },
    prompts: { ...startup.prompts, texts: reloaded.prompts.texts },
  };
}

function without<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

/**
 * Every start-up value by the YAML key the operator edits, so that a change is reported in
 * the file's own words. Values are compared after loading (paths resolved, defaults filled).
 */
const STARTUP_KEYS: ReadonlyArray<readonly [string, (s: StartupConfig) => unknown]> = [
  ['asterisk (how many)', (s) => s.asterisks.length],
  ['asterisk.name', (s) => s.asterisks.map((a) => a.name)],
  ['asterisk.url', (s) => s.asterisks.map((a) => a.url)],
  ['asterisk.username', (s) => s.asterisks.map((a) => a.username)],
  ['asterisk.password', (s) => s.asterisks.map((a) => a.password)],
  ['asterisk.app', (s) => s.asterisks.map((a) => a.app)],
  ['asterisk.peers', (s) => s.asterisks.map((a) => a.peers)],
  ['asterisk.request_timeout', (s) => s.asterisks.map((a) => a.requestTimeoutSeconds)],
  ['asterisk.rest_transport', (s) => s.asterisks.map((a) => a.restTransport)],
  ['asterisk.rest_sockets', (s) => s.asterisks.map((a) => a.restSockets)],
  ['settings.database', (s) => s.settings.postgres ?? s.settings.database],
  ['settings.node_id', (s) => s.settings.nodeId],
  ['settings.storage_dir', (s) => s.settings.storageDir],
  ['settings.http_listen', (s) => s.settings.httpListen],
  ['settings.public_url', (s) => s.settings.publicUrl],
  ['settings.media_url', (s) => s.settings.mediaUrl],
  ['settings.api_token', (s) => s.settings.apiToken],
  ['settings.log_level', (s) => s.settings.logLevel],
  ['settings.log_format', (s) => s.settings.logFormat],
  ['notifications.email', (s) => s.notifications.email],
  ['prompts.engine', (s) => s.prompts.engine],
  ['prompts.command', (s) => s.prompts.command],
  ['prompts.voices', (s) => s.prompts.voices],
  ['prompts.timeout', (s) => s.prompts.timeoutSeconds],
  ['prompts.format', (s) => s.prompts.format],
  ['prompts.delivery', (s) => s.prompts.delivery],
  ['prompts.cache_dir', (s) => (s.prompts.delivery === 'http' ? s.prompts.cacheDir : undefined)],
  ['prompts.directory', (s) => (s.prompts.delivery === 'directory' ? s.prompts.cacheDir : undefined)],
  ['prompts.sound_path', (s) => s.prompts.soundPath],
];

/** The YAML keys whose start-up value differs: they take effect only after a restart. */
export function startupChanges(running: StartupConfig, next: StartupConfig): string[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  return STARTUP_KEYS.filter(([, value]) => !same(value(running), value(next))).map(([key]) => key);
}

/** Where people and Asterisk reach the HTTP listener. */
export interface ListenerAddresses {
  /** The listener's own address, as a URL. */
  own: string;
  /** Base of ack links in emails and chat (settings.public_url). */
  public: string;
  /** Base Asterisk fetches prompts and voicemails from (settings.media_url). */
  media: string;
}

/**
 * The one derivation of the listener's addresses, used by the daemon (prompt URLs), the link
 * factory (ack and voicemail links) and `lcr doctor`. `bound` is the address the listener got
 * (port 0 picks a free one); without it, settings.http_listen as written. A listener on every
 * interface is reached locally through loopback.
 */
export function listenerAddresses(
  settings: Pick<Settings, 'httpListen' | 'publicUrl' | 'mediaUrl'>,
  bound?: { host: string; port: number },
): ListenerAddresses {
  const { host, port } = bound ?? splitHostPort(settings.httpListen);
  const reachable = host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const own = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
  return { own, public: settings.publicUrl ?? own, media: settings.mediaUrl ?? own };
}

function splitHostPort(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(colon + 1)) };
}
