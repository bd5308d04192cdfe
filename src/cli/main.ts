/**
 * The `lcr` command line. Exit codes: 0 ok, 1 invalid configuration or runtime error, 2 usage.
 */
import {
  clearStatusCommand,
  listStatusCommand,
  setStatusCommand,
  type StatusOptions,
} from './commands/status';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { CliFailure, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, processIo, type CliIo } from './io';
import { configPath } from './commands/shared';
import { validateCommand } from './commands/validate';
import { schemaCommand } from './commands/schema';
import { oncallCommand } from './commands/oncall';
import { routesCommand } from './commands/routes';
import { changePageCommand, type PageActionOptions } from './commands/pageActions';
import { listCallsCommand, listPagesCommand, showCallCommand, showPageCommand } from './commands/records';
import { startCommand } from './commands/start';
import { doctorCommand } from './commands/doctor';
import { demoCommand } from './commands/demo';
import { testCallCommand } from './commands/testCall';
import { migrateCommand, type MigrateOptions } from './commands/migrate';
import { DatabaseError } from '../store/database';

/** package.json is the one place the version is written; it sits two folders up from src/cli and dist/cli. */
const VERSION = (
  JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }
).version;

function buildProgram(io: CliIo, pending: Array<Promise<unknown>>): Command {
  const program = new Command('lcr')
    .description('Live Call Routing for Asterisk: hotline menus, on-call responders, voicemail pages')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .exitOverride();
  const configOption = (): Option =>
    new Option('-c, --config <file>', 'configuration file (default: $LCR_CONFIG or ./routes.yaml)');

  program
    .command('start')
    .description('run the daemon: connect to Asterisk over ARI and route calls')
    .addOption(configOption())
    .action((options: { config?: string }) => {
      pending.push(startCommand(io, configPath(options.config)));
    });

  program
    .command('doctor')
    .description(
      'check Asterisk, ARI, endpoints, the dialplan, storage, prompts and SMTP, with a fix for each problem',
    )
    .addOption(configOption())
    .option(
      '--dialplan <file>',
      'extensions.conf to check (default: /etc/asterisk/extensions.conf when present)',
    )
    .action((options: { config?: string; dialplan?: string }) => {
      pending.push(doctorCommand(io, configPath(options.config), options.dialplan));
    });

  program
    .command('validate')
    .description('check a configuration file; errors name the file, line, column and path')
    .argument('[file]', 'configuration file (default: $LCR_CONFIG or ./routes.yaml)')
    .addOption(configOption())
    .action((file: string | undefined, options: { config?: string }) =>
      validateCommand(io, file ?? configPath(options.config)),
    );

  program
    .command('oncall')
    .description('show who is on call, level by level, and the phone tried first')
    .addOption(configOption())
    .option('-t, --team <id>', 'only this team')
    .option('--at <iso-time>', 'at this moment instead of now (without an offset: in settings.timezone)')
    .option('--json', 'machine-readable output')
    .action((options: { config?: string; team?: string; at?: string; json?: boolean }) =>
      oncallCommand(io, configPath(options.config), options),
    );

  program
    .command('routes')
    .description(
      'show what a caller gets from every route at a moment: screening, open or closed, each option, who is rung or paged, urgency',
    )
    .addOption(configOption())
    .option('--at <iso-time>', 'at this moment instead of now (without an offset: in settings.timezone)')
    .option('--from <number>', "the caller's number, for screening (anonymous for a withheld one)")
    .option('--json', 'machine-readable output')
    .action((options: { config?: string; at?: string; from?: string; json?: boolean }) =>
      routesCommand(io, configPath(options.config), options),
    );

  program
    .command('test-call <route>')
    .description('ring your own phone; answered, you are a caller on the route, to try each option for real')
    .addOption(configOption())
    .requiredOption(
      '--to <phone>',
      'the phone to ring: a responder id, a number (+1555...) or a dial string (PJSIP/alice)',
    )
    .option('--option <key>', 'go straight to this menu option after the greeting')
    .option(
      '--dialplan <context>',
      'enter through this dialplan context instead (e.g. lcr-test-call), as a trunk call would',
    )
    .option('--ring-timeout <seconds>', 'how long your phone rings', '30')
    .option('--asterisk <name>', 'through this Asterisk (asterisk[].name) instead of the first listed')
    .action(
      (
        route: string,
        options: {
          config?: string;
          to: string;
          option?: string;
          dialplan?: string;
          ringTimeout?: string;
          asterisk?: string;
        },
      ) => {
        pending.push(testCallCommand(io, configPath(options.config), route, options));
      },
    );

  program
    .command('schema')
    .description('print the JSON Schema of the configuration file, for editor autocompletion')
    .action(() => schemaCommand(io));

  const dbOption = (): Option =>
    new Option('--db <file>', 'database file (default: settings.database of the configuration)');
  const calls = program.command('calls').description('calls the daemon handled (read-only)');
  calls
    .command('list', { isDefault: true })
    .description('most recent calls first')
    .addOption(configOption())
    .addOption(dbOption())
    .option('-n, --limit <n>', 'how many', '50')
    .option('--json', 'machine-readable output')
    .action((options: { config?: string; db?: string; limit?: string; json?: boolean }) =>
      listCallsCommand(io, configPath(options.config), options),
    );
  calls
    .command('show')
    .argument('<id>', 'call id')
    .description("one call's story: route, option, every responder leg, voicemail")
    .addOption(configOption())
    .addOption(dbOption())
    .option('--json', 'machine-readable output')
    .action((id: string, options: { config?: string; db?: string; json?: boolean }) =>
      showCallCommand(io, configPath(options.config), id, options),
    );

  const pages = program.command('pages').description('pages created from voicemails and calls');
  pages
    .command('list', { isDefault: true })
    .description('most recent pages first')
    .addOption(configOption())
    .addOption(dbOption())
    .option('-n, --limit <n>', 'how many', '50')
    .option('-s, --status <status>', 'triggered, acknowledged or resolved')
    .option('--json', 'machine-readable output')
    .action((options: { config?: string; db?: string; limit?: string; json?: boolean; status?: string }) =>
      listPagesCommand(io, configPath(options.config), options),
    );
  pages
    .command('show')
    .argument('<id>', 'page id')
    .description('one page with its assignments and timeline')
    .addOption(configOption())
    .addOption(dbOption())
    .option('--json', 'machine-readable output')
    .action((id: string, options: { config?: string; db?: string; json?: boolean }) =>
      showPageCommand(io, configPath(options.config), id, options),
    );

  for (const [name, action, verb] of [
    ['ack', 'acknowledge', 'acknowledge'],
    ['resolve', 'resolve', 'resolve'],
  ] as const) {
    pages
      .command(name)
      .argument('<id>', 'page id')
      .description(`${verb} a page (recorded in its timeline; works while the daemon runs)`)
      .addOption(configOption())
      .addOption(dbOption())
      .option('--as <responder>', 'the responder acting (default: your user name)')
      .option('--note <text>', 'a note for the timeline')
      .action((id: string, options: PageActionOptions) =>
        changePageCommand(io, configPath(options.config), action, id, options),
      );
  }

  const status = program
    .command('status')
    .description("status messages callers hear during an outage (a route's greeting, or a team's)");
  status
    .command('list', { isDefault: true })
    .description('the latest status messages, playing or not')
    .addOption(configOption())
    .addOption(dbOption())
    .option('--json', 'machine-readable output')
    .action((options: StatusOptions) => listStatusCommand(io, configPath(options.config), options));
  status
    .command('set')
    .argument('<target>', 'a route id, or team:<id>')
    .argument('<text>', 'what callers hear, spoken by the speech engine (1000 characters at most)')
    .description('play a status message to callers until it expires (replaces the one playing)')
    .addOption(configOption())
    .addOption(dbOption())
    .option('--for <duration>', 'how long it plays: 30m, 2h, 1d')
    .option('--until <time>', 'when it stops: 2026-12-07T14:30:00Z')
    .option('--as <who>', 'who sets it, for the record (default: your user name)')
    .action((target: string, text: string, options: StatusOptions) =>
      setStatusCommand(io, configPath(options.config), target, text, options),
    );
  status
    .command('clear')
    .argument('<target>', 'a route id, or team:<id>')
    .description('stop playing the status message of a route or team')
    .addOption(configOption())
    .addOption(dbOption())
    .option('--as <who>', 'who clears it, for the record')
    .action((target: string, options: StatusOptions) =>
      clearStatusCommand(io, configPath(options.config), target, options),
    );

  program
    .command('migrate')
    .description(
      'copy an installation into an empty PostgreSQL database (which gets the schema): every call, page, notification and the ack-link secret',
    )
    .requiredOption('--from <location>', "the database to copy: sqlite:FILE (the daemon's settings.database)")
    .requiredOption('--to <url>', 'the empty PostgreSQL database: postgres://user@host:port/database')
    .option('--password-env <name>', "the environment variable holding the target's password")
    .action((options: MigrateOptions) => migrateCommand(io, options));

  program
    .command('demo')
    .description('run the daemon against the built-in simulated Asterisk and narrate scripted calls')
    .option(
      '-c, --config <file>',
      'configuration file (default: ./routes.yaml if present, else routes.example.yaml)',
    )
    .option(
      '--keep',
      'then keep the daemon, the simulated Asterisk and the web console running (Ctrl-C stops them), and keep the demo data',
    )
    .action((options: { config?: string; keep?: boolean }) => {
      pending.push(demoCommand(io, options));
    });
  return program;
}

/** Runs one command line and returns its exit code (never calls process.exit). */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  const pending: Array<Promise<unknown>> = [];
  const program = buildProgram(io, pending);
  try {
    await program.parseAsync(argv);
    await Promise.all(pending);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      ) {
        return EXIT_OK;
      }
      return EXIT_USAGE;
    }
    if (error instanceof CliFailure) {
      io.err(`lcr: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof DatabaseError) {
      io.err(`lcr: ${error.message}`);
      return EXIT_FAILURE;
    }
    io.err(`lcr: unexpected error: ${(error as Error).message ?? String(error)}`);
    return EXIT_FAILURE;
  }
}

/**
 * The binary's entry. Exits explicitly once the command is done: connection pools of the HTTP
 * libraries underneath ari-client would otherwise keep a stopped daemon alive for minutes.
 */
export function main(argv: string[]): void {
  run(argv).then(
    (code) => process.exit(code),
    () => process.exit(EXIT_FAILURE),
  );
}
