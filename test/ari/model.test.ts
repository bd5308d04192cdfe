/**
 * lcr's ARI model: generated from Asterisk 22's declarations, committed, served by the simulator
 * and turned into the daemon's types. These tests hold the generated files to their generator and
 * the model to what a real Asterisk 22 sent (the recorded traces).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ASTERISK_22_ARI } from '../../src/ari/model/asterisk22.gen';
import { modelSource, typesSource } from '../../src/ari/model/codegen';
import { modelFromDeclarations, readDeclarations } from '../../src/ari/model/fromDeclarations';
import { AriSpec, resourceListing, swaggerDocument } from '../../src/simulator/spec';

const MODEL_DIR = path.join(__dirname, '../../src/ari/model');
const TRACE_DIR = path.join(__dirname, '../fixtures/ari-traces');

function writeDeclarations(dir: string): void {
  fs.mkdirSync(path.join(dir, 'api-docs'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'resources.json'), JSON.stringify(resourceListing(ASTERISK_22_ARI)));
  for (const resource of ASTERISK_22_ARI.resources) {
    fs.writeFileSync(
      path.join(dir, 'api-docs', `${resource.name}.json`),
      JSON.stringify(swaggerDocument(ASTERISK_22_ARI, resource.name)),
    );
  }
}

test('the committed sources are exactly what the generator makes of the committed model', () => {
  expect(fs.readFileSync(path.join(MODEL_DIR, 'asterisk22.gen.ts'), 'utf8')).toBe(
    modelSource(ASTERISK_22_ARI, 'ASTERISK_22_ARI'),
  );
  expect(fs.readFileSync(path.join(MODEL_DIR, 'types.gen.ts'), 'utf8')).toBe(typesSource(ASTERISK_22_ARI));
});

test('the documents the simulator serves carry every fact of the model: reading them back gives the same model', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lcr-ari-docs-'));
  try {
    writeDeclarations(dir);
    expect(modelFromDeclarations(readDeclarations(dir))).toEqual(ASTERISK_22_ARI);
    // The api-docs folder alone (as in an Asterisk source tree, resources.json beside it) reads the same.
    expect(modelFromDeclarations(readDeclarations(path.join(dir, 'api-docs')))).toEqual(ASTERISK_22_ARI);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the model covers ARI 22: its resources, the operations the daemon uses, REST over WebSocket', () => {
  const model = ASTERISK_22_ARI;
  expect(model.resources.map((resource) => resource.name).sort()).toEqual(
    [
      'applications',
      'asterisk',
      'bridges',
      'channels',
      'deviceStates',
      'endpoints',
      'events',
      'mailboxes',
      'playbacks',
      'recordings',
      'sounds',
    ].sort(),
  );
  const channels = model.resources.find((resource) => resource.name === 'channels')!;
  const originate = channels.operations.find((operation) => operation.name === 'originate')!;
  expect(originate).toMatchObject({ method: 'POST', path: '/channels', returns: 'Channel' });
  expect(originate.parameters.find((parameter) => parameter.name === 'timeout')).toEqual({
    name: 'timeout',
    in: 'query',
    type: 'int',
    required: false,
    multiple: false,
    default: 30,
  });
  expect(originate.errors).toEqual(expect.arrayContaining([400, 409]));
  const play = channels.operations.find((operation) => operation.name === 'play')!;
  expect(play.parameters.find((parameter) => parameter.name === 'media')).toMatchObject({
    required: true,
    multiple: true,
  });
  expect(model.types['Channel']!.properties.find((property) => property.name === 'state')!.values).toContain(
    'Ring',
  );
  expect(Object.keys(model.types)).toEqual(expect.arrayContaining(['RESTRequest', 'RESTResponse']));
});

test('the model holds facts, not prose: no descriptions, summaries or notes', () => {
  const texts: string[] = [];
  const keys = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        keys.add(key);
        walk(child);
      }
    }
  };
  walk(ASTERISK_22_ARI);
  for (const key of ['description', 'summary', 'notes', 'reason', '_copyright', '_author']) {
    expect(keys.has(key)).toBe(false);
  }
  // Names, paths, types and allowed values: at most two words ("Dialing Offhook").
  expect(texts.filter((text) => text.split(/\s+/).length > 2)).toEqual([]);
});

test('every event a real Asterisk 22 sent in the recorded traces is valid by the model', () => {
  const spec = new AriSpec(ASTERISK_22_ARI);
  let events = 0;
  const problems: string[] = [];
  for (const file of fs.readdirSync(TRACE_DIR).filter((name) => name.endsWith('.jsonl'))) {
    for (const line of fs.readFileSync(path.join(TRACE_DIR, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const entry = JSON.parse(line) as { dir: string; event?: Record<string, unknown> };
      if (entry.dir !== 'event' || entry.event === undefined) continue;
      events += 1;
      problems.push(...spec.checkEvent(entry.event).map((problem) => `${file}: ${problem}`));
    }
  }
  expect(events).toBeGreaterThan(100);
  expect(problems).toEqual([]);
});

test('the event check names what is wrong with an event', () => {
  const spec = new AriSpec(ASTERISK_22_ARI);
  const channel = {
    id: '1',
    name: 'PJSIP/trunk-1',
    state: 'Ring',
    protocol_id: '',
    caller: { name: '', number: '+15550100' },
    connected: { name: '', number: '' },
    accountcode: '',
    dialplan: { context: 'hotline', exten: '100', priority: 1, app_name: 'Stasis', app_data: 'lcr' },
    creationtime: '2026-11-22T06:27:39.359+0000',
    language: 'en',
  };
  const good = {
    type: 'ChannelDtmfReceived',
    application: 'lcr',
    timestamp: '2026-11-22T06:27:39.359+0000',
    digit: '1',
    duration_ms: 120,
    channel,
  };
  expect(spec.checkEvent(good)).toEqual([]);
  expect(spec.checkEvent({ ...good, type: 'ChannelDtmf' })).toEqual(['unknown event type ChannelDtmf']);
  expect(spec.checkEvent({ ...good, digit: undefined })).toEqual([
    'ChannelDtmfReceived.digit: required field missing',
  ]);
  expect(spec.checkEvent({ ...good, duration_ms: '120' })).toEqual([
    'ChannelDtmfReceived.duration_ms: expected int, got "120"',
  ]);
  expect(spec.checkEvent({ ...good, channel: { ...channel, state: 'Talking' } })).toEqual([
    'ChannelDtmfReceived.channel.state: "Talking" is not one of Down, Rsrved, OffHook, Dialing, Ring, Ringing, Up, Busy, Dialing Offhook, Pre-ring, Unknown',
  ]);
  expect(spec.checkEvent({ ...good, dtmf: '1' })).toEqual(['ChannelDtmfReceived.dtmf: not declared']);
});
