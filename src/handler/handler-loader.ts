import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WavegateError } from '../errors/wavegate-error.js';
import type { HandlerDefinition } from './handler.js';

/** Built-in handlers by name; each module default-exports its definition. */
const BUILT_IN: Record<string, () => Promise<{ default: HandlerDefinition<any> }>> = {
  echo: () => import('../../handlers/echo.js'),
  dsp: () => import('../../handlers/dsp.js'),
  asr: () => import('../../handlers/asr.js'),
  'voice-loop': () => import('../../handlers/voice-loop.js'),
};

export const BUILT_IN_HANDLER_NAMES = Object.keys(BUILT_IN);

function isDefinition(value: unknown): value is HandlerDefinition<any> {
  return typeof value === 'object' && value !== null && typeof (value as HandlerDefinition).create === 'function';
}

/**
 * `echo` (or another built-in name) or a path to an ES module whose default export — or export named
 * `handler` — is a handler definition.
 */
export async function loadHandler(nameOrPath: string): Promise<HandlerDefinition<any>> {
  const builtIn = BUILT_IN[nameOrPath];
  const module: Record<string, unknown> = builtIn
    ? await builtIn()
    : await import(pathToFileURL(resolve(nameOrPath)).href).catch((err: unknown) => {
        throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `cannot load handler module ${nameOrPath}: ${(err as Error).message}`, { cause: err });
      });
  const definition = module.default ?? module.handler;
  if (!isDefinition(definition)) {
    throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `${nameOrPath} does not export a handler definition (default or \`handler\`) with create()`);
  }
  return definition;
}
