import { runServe } from './serve-command.js';

const USAGE = `usage: wavegate <command> [options]

commands:
  serve     run the gateway (see: wavegate serve --help)
  client    stream a WAV file through a gateway (see: wavegate client --help)
  token     mint an access token for a gateway run with --auth-secret (see: wavegate token --help)
`;

/** CLI entry: returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServe(rest);
    case 'client': {
      // Loaded on demand: the server never pulls in the client's code.
      const { runClient } = await import('../../clients/client-command.js');
      return runClient(rest);
    }
    case 'token': {
      const { runToken } = await import('./token-command.js');
      return runToken(rest);
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`wavegate: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 1;
  }
}
