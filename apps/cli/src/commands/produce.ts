/**
 * `runnel produce TOPIC`: the console producer. One record per stdin line, sent in order, in batches
 * of up to PRODUCE_BATCH_RECORDS_MAX lines with one request in flight (so the log order is the line
 * order). A partial batch waits at most PRODUCE_LINGER_MS for more lines, so typed lines go out at
 * once. A rejected batch stops the run (exit 1) naming the line; everything before it is stored.
 */
import { Command } from 'commander';
import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PRODUCE_BATCH_BYTES_MAX, PRODUCE_BATCH_RECORDS_MAX, PRODUCE_LINGER_MS } from '../constants';
import { FORMATS, Format } from '../client';
import { ApiError, CliError, UsageError } from '../errors';
import { choiceArg, collect, contextOf, enc, err, intArg, printJson, progressBar, examples } from '../output';

interface ProduceOptions {
  keySeparator?: string;
  partition?: number;
  format: Format;
  acks: 'all' | '1' | '0';
  header?: string[];
}

interface WireRecord {
  key?: unknown;
  value: unknown;
  partition?: number;
  headers?: { name: string; value: string }[];
}

interface Pending {
  records: WireRecord[];
  /** The stdin line number of each record (empty lines are skipped, so they can differ from the index). */
  lines: number[];
  bytes: number;
}

interface ProduceReply {
  offsets: { partition: number; offset: number; timestamp: number }[];
}

/** Parses one field (key or value) of a line in the chosen format; JSON errors name the line. */
function field(text: string, format: Format, lineNo: number, what: string): unknown {
  if (format !== 'json') return text;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`line ${lineNo}: the ${what} is not valid JSON (${(e as Error).message}).`, 'with --format json every line must be JSON; use --format string to send lines as they are.');
  }
}

function parseLine(line: string, lineNo: number, opts: ProduceOptions): WireRecord {
  if (opts.keySeparator === undefined) return { value: field(line, opts.format, lineNo, 'value') };
  const at = line.indexOf(opts.keySeparator);
  if (at < 0) throw new CliError(`line ${lineNo} has no key separator "${opts.keySeparator}".`, 'every line must be KEY<separator>VALUE when --key-separator is given.');
  return { key: field(line.slice(0, at), opts.format, lineNo, 'key'), value: field(line.slice(at + opts.keySeparator.length), opts.format, lineNo, 'value') };
}

export function registerProduce(program: Command): void {
  program
    .command('produce')
    .description('produce stdin lines as records (kafka-console-producer.sh); empty lines are skipped; ends at end of input')
    .addHelpText('after', examples('echo hello | runnel produce greetings', 'echo \'user-1:{"total":42}\' | runnel produce orders --key-separator : --format json', 'runnel produce orders --partition 2 < lines.txt'))
    .argument('<topic>', 'topic (created on first produce when the broker allows auto-creation)')
    .option('-k, --key-separator <sep>', 'each line is KEY<sep>VALUE (without it lines are values with no key)')
    .option('-p, --partition <p>', 'send every record to this partition (default: by key hash, or spread)', intArg(0))
    .option('-f, --format <format>', 'how lines are read and stored: string (as is), json (each line is JSON), binary (base64)', choiceArg(FORMATS), 'string')
    .option('--acks <acks>', 'all (durable before the reply), 1 or 0', choiceArg(['all', '1', '0'] as const), 'all')
    .option('-H, --header <name=value>', 'a header added to every record (repeatable)', collect)
    .action(async (topic: string, opts: ProduceOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const headers = (opts.header ?? []).map((h) => {
        const eq = h.indexOf('=');
        if (eq <= 0) throw new UsageError(`--header "${h}" is not NAME=VALUE.`, cmd);
        return { name: h.slice(0, eq), value: h.slice(eq + 1) };
      });
      if (opts.keySeparator === '') throw new UsageError('--key-separator must not be empty.', cmd);

      let inputBytes: number | null = null;
      try {
        const st = fstatSync(0);
        if (st.isFile()) inputBytes = st.size;
      } catch {
        // stdin closed or not a file: no total for the bar.
      }
      const bar = process.stdin.isTTY === true ? null : inputBytes !== null ? progressBar('producing |{bar}| {percentage}% {records} records', inputBytes, { records: 0 }) : progressBar('producing {records} records', 0, { records: 0 });

      const perPartition = new Map<number, { first: number | null; last: number | null; count: number }>();
      let sent = 0;
      let bytesRead = 0;
      let lineNo = 0;
      let batch: Pending = { records: [], lines: [], bytes: 0 };
      let inflight: Promise<void> = Promise.resolve();
      // A holder, not a `let`: it is set inside callbacks, which control-flow narrowing cannot see.
      const run: { failure: Error | null } = { failure: null };
      let linger: NodeJS.Timeout | null = null;

      const send = async (p: Pending): Promise<void> => {
        let reply: ProduceReply;
        try {
          reply = await ctx.client.post<ProduceReply>(`/topics/${enc(topic)}/records`, { records: p.records }, { query: { format: opts.format, acks: opts.acks } });
        } catch (e) {
          // The broker names records[i]; the user thinks in stdin lines.
          if (e instanceof ApiError) throw new ApiError(e.status, e.errorCode, e.message.replace(/records\[(\d+)\]/g, (_m, i: string) => `line ${p.lines[Number(i)] ?? '?'}`), e.hint);
          throw e;
        }
        for (const o of reply.offsets ?? []) {
          // acks=0 answers before the append: offset -1 (unknown).
          const offset = o.offset >= 0 ? o.offset : null;
          const s = perPartition.get(o.partition);
          if (s === undefined) perPartition.set(o.partition, { first: offset, last: offset, count: 1 });
          else {
            if (offset !== null) {
              s.first = s.first === null ? offset : Math.min(s.first, offset);
              s.last = s.last === null ? offset : Math.max(s.last, offset);
            }
            s.count++;
          }
        }
        sent += p.records.length;
        bar?.update(inputBytes === null ? 0 : Math.min(bytesRead, inputBytes), { records: sent });
      };
      const flush = (): void => {
        if (linger !== null) clearTimeout(linger);
        linger = null;
        if (batch.records.length === 0) return;
        const p = batch;
        batch = { records: [], lines: [], bytes: 0 };
        inflight = inflight.then(() => (run.failure === null ? send(p) : undefined)).catch((e: unknown) => {
          run.failure ??= e instanceof Error ? e : new Error(String(e));
        });
      };

      // A line that cannot be parsed stops reading; the lines before it are still sent (as Kafka's tool does).
      let badLine: CliError | null = null;
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
      try {
        for await (const line of lines) {
          lineNo++;
          bytesRead += Buffer.byteLength(line) + 1;
          if (run.failure !== null) break;
          if (line === '') continue;
          let record: WireRecord;
          try {
            record = parseLine(line, lineNo, opts);
          } catch (e) {
            if (!(e instanceof CliError)) throw e;
            badLine = e;
            break;
          }
          if (opts.partition !== undefined) record.partition = opts.partition;
          if (headers.length > 0) record.headers = headers;
          batch.records.push(record);
          batch.lines.push(lineNo);
          batch.bytes += line.length + 64;
          if (batch.records.length >= PRODUCE_BATCH_RECORDS_MAX || batch.bytes >= PRODUCE_BATCH_BYTES_MAX) {
            flush();
            await inflight; // back-pressure: at most one batch waits while one is in flight
          } else {
            linger ??= setTimeout(flush, PRODUCE_LINGER_MS);
          }
        }
        flush();
        await inflight;
      } finally {
        if (linger !== null) clearTimeout(linger);
        lines.close();
        bar?.stop();
      }
      const failure = run.failure ?? badLine;
      if (failure !== null) {
        err(`${sent} record${sent === 1 ? ' was' : 's were'} produced to ${topic} before the error.`);
        throw failure;
      }
      const partitions = [...perPartition.entries()].sort(([a], [b]) => a - b).map(([partition, s]) => ({ partition, records: s.count, first_offset: s.first, last_offset: s.last }));
      if (ctx.json) return printJson({ topic, records: sent, partitions });
      const where = partitions.map((p) => `partition ${p.partition}: ${p.first_offset === null ? `${p.records} record${p.records === 1 ? '' : 's'}, offsets not known with --acks 0` : `offsets ${p.first_offset}..${p.last_offset}`}`);
      err(`Produced ${sent} record${sent === 1 ? '' : 's'} to ${topic}${where.length === 0 ? '' : ` (${where.join('; ')})`}.`);
    });
}
