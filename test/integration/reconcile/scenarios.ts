/**
 * The moments at which a daemon can lose its calls, shared by the SIGKILL test (a new process
 * takes over: reconciliation) and the WebSocket test (the process survives: its sessions go on).
 * Each scenario says when to strike, and what the caller, the rows and the pages show at the end.
 */
import type { AsteriskSimulator, PhoneBehaviour, Step } from '../../../src/simulator';
import type { CallRow, LegRow, VoicemailRow } from '../../../src/store/calls';
import type { PageRow } from '../../../src/store/pages';
import {
  accepts,
  acceptsAndHangsUp,
  acknowledgesPage,
  leaveMessage,
  neverAnswers,
  pickOption,
} from '../../helpers/people';

/** Simulated sounds and phones run four times faster than real time. */
export const TIME_SCALE = 0.25;

export const RECONCILE_CONFIG = `
asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 2s }
settings: { storage_dir: ./data, http_listen: 127.0.0.1:0 }
prompts: { engine: none }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'], notify: [] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'], notify: [] }
  - { id: vic, name: Vic, phones: ['PJSIP/vic'], notify: [] }
  - { id: pat, name: Pat, phones: ['PJSIP/pat'], notify: [phone] }
escalation_policies:
  - id: one
    levels:
      - { targets: [{ responder: alice }], ring_timeout: 20s, escalate_after: 5m }
  - id: two
    levels:
      - { targets: [{ responder: alice }, { responder: bob }], ring_timeout: 20s, escalate_after: 5m }
  - id: quiet
    levels:
      - { targets: [{ responder: vic }], escalate_after: 5m }
  - id: paged
    levels:
      - { targets: [{ responder: pat }], escalate_after: 5m }
teams:
  - { id: ops, name: Operations, escalation_policy: one }
  - { id: pair, name: Pair, escalation_policy: two }
  - { id: desk, name: Desk, escalation_policy: quiet }
  - { id: pager, name: Pager, escalation_policy: paged }
routes:
  - id: vm
    name: Message line
    numbers: ['5550100']
    routing: voicemail
    greeting: sound:tt-monkeys
    options:
      - { key: 1, team: desk, label: Desk }
      - { key: 2, team: pager, label: Pager }
    menu: { timeout: 4s, tries: 3, fallback: first }
    voicemail: { max_duration: 60s, max_silence: 5s, min_duration: 1s }
  - id: direct
    name: Ops hotline
    numbers: ['5550200']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { confirm_timeout: 20s, on_no_answer: hangup, page_on_connect: true }
  - id: pair
    name: Pair hotline
    numbers: ['5550201']
    routing: direct
    options: [{ key: 1, team: pair, label: Pair }]
    direct: { confirm_timeout: 20s, on_no_answer: hangup }
`;

export type Mode = 'sigkill' | 'websocket';

/** What a scenario is judged on once the call (and its page) are over. */
export interface Outcome {
  mode: Mode;
  /** The caller's transcript, as `kind detail` lines. */
  heard: string[];
  /** Every phone the daemons rang (responder legs and page calls), by dial string. */
  rang: string[];
  call: CallRow;
  legs: LegRow[];
  voicemails: VoicemailRow[];
  pages: PageRow[];
}

export interface Scenario {
  name: string;
  phones: Record<string, PhoneBehaviour>;
  to: string;
  steps: Step[];
  /** The moment to strike, read from the simulator. */
  moment: (sim: AsteriskSimulator, callerId: string) => boolean;
  /** Over when this holds too (a page acknowledged...), beyond the call's row being closed. */
  settled?: (pages: PageRow[]) => boolean;
  check: (outcome: Outcome) => void;
}

const heard = (sim: AsteriskSimulator, channelId: string): string[] =>
  sim.transcript(channelId).map((e) => `${e.kind} ${e.detail}`);
const legHeard = (sim: AsteriskSimulator, dialstring: string, what: string): boolean =>
  sim
    .legs()
    .some(
      (l) =>
        l.dialstring === dialstring.split('/')[1] &&
        l.transcript.some((e) => `${e.kind} ${e.detail}`.includes(what)),
    );

/** The prompt a caller taken back hears (callInterrupted, as a stock sound: engine none). */
export const INTERRUPTED = 'played sound:please-hold';

/** After a restart the caller is told; a surviving process just goes on. */
function toldIfRestarted(o: Outcome): void {
  if (o.mode === 'sigkill') expect(o.heard).toContain(INTERRUPTED);
  else expect(o.heard).not.toContain(INTERRUPTED);
}

const legSummary = (legs: LegRow[]): Array<[string, string, string | null]> =>
  legs.map((l) => [l.responder_id, l.result, l.reason]);

/** The legs the old process left: hung up by the reconciliation, which says so. */
const RECONCILED_LEG = 'not accepted when the daemon lost the call (reconciled)';

function messageKept(o: Outcome, endedBy: string | RegExp): void {
  expect(o.call).toMatchObject({ outcome: 'voicemail', team_id: 'desk', stage: null });
  expect(o.voicemails).toHaveLength(1);
  expect(o.voicemails[0]!.ended_by).toMatch(endedBy);
  expect(o.voicemails[0]!.file_path).not.toBeNull();
  expect(o.pages).toHaveLength(1);
  expect(o.pages[0]).toMatchObject({ status: 'triggered', voicemail_id: o.voicemails[0]!.id });
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'the greeting',
    phones: {},
    to: '5550100',
    steps: [...pickOption('1'), ...leaveMessage(3000)],
    moment: (sim, id) => heard(sim, id).includes('played sound:tt-monkeys'),
    check: (o) => {
      toldIfRestarted(o);
      messageKept(o, 'dtmf');
      if (o.mode === 'sigkill') expect(o.call.outcome_detail).toContain('taken back after an interruption');
    },
  },
  {
    name: 'the menu',
    phones: {},
    to: '5550100',
    steps: [
      { waitFor: 'playback', media: 'press' },
      { waitFor: 'prompts-done' },
      ...pickOption('1'),
      ...leaveMessage(3000),
    ],
    moment: (sim, id) => heard(sim, id).includes('played sound:press'),
    check: (o) => {
      toldIfRestarted(o);
      messageKept(o, 'dtmf');
    },
  },
  {
    name: 'ringing one responder',
    phones: { 'PJSIP/alice': acceptsAndHangsUp(4000, 8000) },
    to: '5550200',
    steps: [],
    moment: (sim) => legHeard(sim, 'PJSIP/alice', 'ringing'),
    check: (o) => {
      toldIfRestarted(o);
      expect(o.call).toMatchObject({ outcome: 'connected', connected_responder_id: 'alice', stage: null });
      expect(legSummary(o.legs)).toEqual(
        o.mode === 'sigkill'
          ? [
              ['alice', 'cancelled', RECONCILED_LEG],
              ['alice', 'accepted', null],
            ]
          : [['alice', 'accepted', null]],
      );
      // page_on_connect: the call's page was acknowledged by alice and resolved when it ended.
      expect(o.pages.map((p) => p.status)).toEqual(['resolved']);
    },
  },
  {
    name: 'ringing several responders',
    phones: { 'PJSIP/alice': neverAnswers, 'PJSIP/bob': acceptsAndHangsUp(4000, 8000) },
    to: '5550201',
    steps: [],
    moment: (sim) => legHeard(sim, 'PJSIP/alice', 'ringing') && legHeard(sim, 'PJSIP/bob', 'ringing'),
    check: (o) => {
      toldIfRestarted(o);
      expect(o.call).toMatchObject({ outcome: 'connected', connected_responder_id: 'bob' });
      const summary = legSummary(o.legs).sort();
      expect(summary).toEqual(
        (o.mode === 'sigkill'
          ? [
              ['alice', 'cancelled', RECONCILED_LEG],
              ['bob', 'cancelled', RECONCILED_LEG],
              ['alice', 'cancelled', 'answered elsewhere'],
              ['bob', 'accepted', null],
            ]
          : [
              ['alice', 'cancelled', 'answered elsewhere'],
              ['bob', 'accepted', null],
            ]
        ).sort(),
      );
      expect(o.pages).toEqual([]);
    },
  },
  {
    name: "the responder's confirmation prompt",
    // The responder thinks long enough to press 1 once the WebSocket is back: a key pressed in
    // the gap is lost, on a real Asterisk too.
    phones: {
      'PJSIP/alice': accepts(1000, 12_000, [{ waitFor: 'bridged' }, { wait: 2000 }, { hangup: true }]),
    },
    to: '5550200',
    steps: [],
    moment: (sim) => legHeard(sim, 'PJSIP/alice', 'played sound:to-accept-press'),
    check: (o) => {
      toldIfRestarted(o);
      expect(o.call).toMatchObject({ outcome: 'connected', connected_responder_id: 'alice' });
      expect(legSummary(o.legs)).toEqual(
        o.mode === 'sigkill'
          ? [
              ['alice', 'cancelled', RECONCILED_LEG],
              ['alice', 'accepted', null],
            ]
          : [['alice', 'accepted', null]],
      );
    },
  },
  {
    name: 'a connected call',
    phones: { 'PJSIP/alice': acceptsAndHangsUp(14_000, 1000) },
    to: '5550200',
    steps: [],
    moment: (sim, id) => heard(sim, id).some((line) => line.startsWith('bridged')),
    // The page is resolved behind the call log, a moment after the call's row is closed.
    settled: (pages) => pages.length === 1 && pages[0]!.status === 'resolved',
    check: (o) => {
      // Nobody is told anything: the conversation just goes on.
      expect(o.heard).not.toContain(INTERRUPTED);
      expect(o.call).toMatchObject({ outcome: 'connected', connected_responder_id: 'alice', stage: null });
      if (o.mode === 'sigkill') {
        expect(o.call.outcome_detail).toBe('connected to alice (taken back after an interruption)');
        expect(legSummary(o.legs)).toEqual([['alice', 'accepted', 'taken back after an interruption']]);
      } else expect(legSummary(o.legs)).toEqual([['alice', 'accepted', null]]);
      expect(o.legs[0]!.ended_at).not.toBeNull();
      // The responder hung up first: the caller was hung up by the daemon, and the page resolved.
      expect(o.heard.at(-1)).toMatch(/^ended cause/);
      expect(o.pages.map((p) => p.status)).toEqual(['resolved']);
    },
  },
  {
    name: 'a voicemail recording',
    phones: {},
    to: '5550100',
    steps: [...pickOption('1'), { waitFor: 'recording' }, { speak: 16_000 }],
    moment: (sim, id) => heard(sim, id).includes('recorded recording started'),
    check: (o) => {
      toldIfRestarted(o);
      messageKept(o, o.mode === 'sigkill' ? 'interrupted' : 'silence');
      if (o.mode === 'sigkill') {
        expect(o.pages[0]!.summary).toContain('interrupted');
        // Stopped first, then told, then thanked.
        const told = o.heard.indexOf(INTERRUPTED);
        expect(
          o.heard.findIndex((line) => line.startsWith('recorded') && line.endsWith('kept')),
        ).toBeLessThan(told);
        expect(o.heard.slice(told)).toContain('played sound:vm-msgsaved');
      }
    },
  },
  {
    name: 'a page call',
    phones: { 'PJSIP/pat': acknowledgesPage(2000) },
    to: '5550100',
    steps: [...pickOption('2'), ...leaveMessage(3000)],
    moment: (sim) => legHeard(sim, 'PJSIP/pat', 'answered'),
    settled: (pages) => pages.length === 1 && pages[0]!.status === 'acknowledged',
    check: (o) => {
      expect(o.call).toMatchObject({ outcome: 'voicemail', team_id: 'pager' });
      expect(o.pages).toHaveLength(1);
      expect(o.pages[0]).toMatchObject({ status: 'acknowledged', acknowledged_by: 'pat' });
      // After the restart the page call nobody drove was hung up, and the notification went out again.
      expect(o.rang).toEqual(o.mode === 'sigkill' ? ['pat', 'pat'] : ['pat']);
    },
  },
];
