/**
 * What every command shares: the resolved context (--server / RUNNEL_SERVER, --json), plain
 * borderless tables (aligned columns that stay greppable in a pipe), JSON for scripts, and
 * progress bars that appear only when stderr is a terminal.
 */
import { Command, InvalidArgumentError } from 'commander';
import Table from 'cli-table3';
import { SingleBar } from 'cli-progress';
import { RunnelClient } from './client';
import { SERVER_DEFAULT, SERVER_ENV } from './constants';
import { UsageError } from './errors';

export interface Context {
  client: RunnelClient;
  json: boolean;
}

/** The global options as the command sees them (they may be given before or after the command name). */
export function contextOf(command: Command): Context {
  const opts = command.optsWithGlobals<{ server?: string; json?: boolean }>();
  const server = opts.server ?? process.env[SERVER_ENV] ?? SERVER_DEFAULT;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server "${server}" is not a URL; give one like http://localhost:8080.`, command);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server "${server}" must be an http:// or https:// URL.`, command);
  return { client: new RunnelClient(server), json: opts.json === true };
}

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function err(line = ''): void {
  process.stderr.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

const PLAIN = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '  ',
};

export type Cell = string | number | boolean | null | undefined;

/** Aligned columns with an upper-case header row, Kafka-tool style. */
export function table(head: string[], rows: Cell[][]): string {
  const t = new Table({ head, chars: PLAIN, style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true } });
  for (const row of rows) t.push(row.map((c) => (c === null || c === undefined ? '-' : String(c))));
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

export function printTable(head: string[], rows: Cell[][]): void {
  out(table(head, rows));
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A progress bar on stderr, or null when stderr is not a terminal (pipes, CI, tests). */
export function progressBar(format: string, total: number, payload: Record<string, unknown> = {}): SingleBar | null {
  if (process.stderr.isTTY !== true) return null;
  const bar = new SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50, fps: 5 });
  bar.start(total, 0, payload);
  return bar;
}

// Argument parsers: a bad value is a usage error (exit 2) that names the flag's rule.

export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`"${value}" is not an integer.`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${value} is out of range (${min}..${max === Number.MAX_SAFE_INTEGER ? 'max' : max}).`);
    return n;
  };
}

export function choiceArg<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`"${value}" is not one of ${choices.join(', ')}.`);
    return value as T;
  };
}

/** `--config k=v` repeated: collects into an object. */
export function configArg(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`"${value}" is not NAME=VALUE (e.g. retention.ms=3600000).`);
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1) };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--partitions 0,2,5`. */
export function partitionListArg(value: string): number[] {
  const parse = intArg(0, 1_000_000);
  const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => parse(s));
  if (list.length === 0) throw new InvalidArgumentError('give at least one partition, e.g. 0,1,2.');
  return [...new Set(list)].sort((a, b) => a - b);
}

export const enc = encodeURIComponent;

/** For offline commands (dump-log): only --json matters; --server is ignored. */
export function contextOfOffline(command: Command): { json: boolean } {
  return { json: command.optsWithGlobals<{ json?: boolean }>().json === true };
}

/** An "Examples:" block for a command's --help (`.addHelpText('after', examples(...))`). */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}
