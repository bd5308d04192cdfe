/** The start-up part of a configuration: what a reload keeps, what it reports, the listener's addresses. */
import { configFromText, MINIMAL_YAML } from '../helpers/config';
import { listenerAddresses, startupChanges, startupPart, withStartup } from '../../src/config/startup';

const withSettings = (settings: string): string => `${MINIMAL_YAML}settings:\n${settings}\n`;

test('the listener address, bound or as written, is the default of both public and media URLs', () => {
  const plain = { httpListen: '0.0.0.0:8080' };
  expect(listenerAddresses(plain)).toEqual({
    own: 'http://127.0.0.1:8080',
    public: 'http://127.0.0.1:8080',
    media: 'http://127.0.0.1:8080',
  });
  expect(listenerAddresses({ httpListen: '[::1]:9000' }).own).toBe('http://[::1]:9000');
  expect(
    listenerAddresses(
      { httpListen: '127.0.0.1:0', publicUrl: 'https://lcr.example.com' },
      { host: '127.0.0.1', port: 41234 },
    ),
  ).toEqual({
    own: 'http://127.0.0.1:41234',
    public: 'https://lcr.example.com',
    media: 'http://127.0.0.1:41234',
  });
});

test('a reload keeps every start-up value and names each changed one by its YAML key', () => {
  const running = configFromText(withSettings('  http_listen: 127.0.0.1:8080\n  log_level: info'));
  const next = configFromText(
    withSettings(
      '  http_listen: 127.0.0.1:9090\n  log_level: debug\n  media_url: http://10.0.0.5:8080\n  timezone: Europe/Paris',
    ).replace('password: secret', 'password: changed'),
  );
  expect(startupChanges(startupPart(running), startupPart(next))).toEqual([
    'asterisk.password',
    'settings.http_listen',
    'settings.media_url',
    'settings.log_level',
  ]);
  const applied = withStartup(next, startupPart(running));
  expect(startupPart(applied)).toEqual(startupPart(running));
  // Live settings do change.
  expect(applied.settings.timezone).toBe('Europe/Paris');
  expect(applied.settings.mediaUrl).toBeUndefined();
});
