/**
 * `runnel dump-log FILE...`: DumpLogSegments, offline (no broker). The checks are in
 * segment-scan.ts, loaded only when this command runs (the record codecs are native modules that
 * every other command would pay for at start).
 */
import type { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { DUMP_PROGRESS_BYTES_MIN } from '../constants';
import { CliError } from '../errors';
import { contextOfOffline, out, printJson, progressBar, examples } from '../output';
import type * as SegmentScan from './segment-scan';
import type { BatchReport, IndexReport, SegmentReport } from './segment-scan';

type Scan = typeof SegmentScan;

interface DumpOptions {
  json: boolean;
  printData: boolean;
  deep: boolean;
}

/** Checks a .log file, printing each batch as it is checked (unless --json) and a summary. */
async function dumpLogFile(scan: Scan, file: string, baseOffset: bigint | null, o: DumpOptions): Promise<SegmentReport> {
  // A holder, not a `let`: it is set inside a callback, which control-flow narrowing cannot see.
  const progress: { bar: SingleBar | null } = { bar: null };
  let r: SegmentReport;
  try {
    r = await scan.scanSegment(file, {
      deep: o.deep,
      printData: o.printData,
      onOpen: (size) => {
        progress.bar = size >= DUMP_PROGRESS_BYTES_MIN ? progressBar('checking |{bar}| {percentage}% {value}/{total} bytes', size) : null;
        if (!o.json) out(`Log starting offset: ${baseOffset === null ? 'unknown (not a NNNNNNNNNNNNNNNNNNNN.log name)' : baseOffset.toString()}`);
      },
      onProgress: (p) => progress.bar?.update(p),
      ...(o.json
        ? {}
        : {
            onBatch: (b: BatchReport) => {
              out(scan.batchLine(b));
              for (const rec of b.records ?? []) if (o.printData || o.deep) out(scan.recordLine(rec, o.printData, b.timestamp_type));
            },
          }),
    });
  } finally {
    progress.bar?.stop();
  }
  if (!o.json) {
    for (const p of r.problems) if (!r.batches.some((b) => b.position === p.position)) out(`problem: ${p.problem}`);
    out(`Checked ${r.batches.length} batch${r.batches.length === 1 ? '' : 'es'} (${r.records} records, ${r.size_bytes} bytes): ${r.problems.length === 0 ? 'all valid' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`}.`);
  }
  return r;
}

/** Dumps an .index or .timeindex file (unless --json). */
async function dumpIndexFile(scan: Scan, file: string, kind: 'offset' | 'time', json: boolean): Promise<IndexReport> {
  const report = await scan.scanIndex(file, kind);
  if (!json) {
    for (const e of report.entries) out(kind === 'offset' ? `offset: ${e.offset} position: ${e.position}` : `timestamp: ${e.timestamp} offset: ${e.offset}`);
    for (const p of report.problems) out(`problem: ${p.problem}`);
  }
  return report;
}

/** A file that cannot be read, as a CliError that says why; any other error as it is. */
function fileError(file: string, e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOENT') return new CliError(`no such file: ${file}.`, 'segments live under <data-dir>/<topic>-<partition>/, e.g. data/orders-0/00000000000000000000.log.');
  if (code === 'EISDIR') return new CliError(`${file} is a directory.`, 'give the segment files inside it, e.g. ' + `${file.replace(/\/+$/, '')}/00000000000000000000.log.`);
  if (code === 'EACCES') return new CliError(`cannot read ${file}: permission denied.`);
  return e;
}

export function registerDumpLog(program: Command): void {
  program
    .command('dump-log')
    .description('check and print segment files offline, batch by batch (DumpLogSegments); exit 1 if any batch is bad')
    .addHelpText('after', examples('runnel dump-log data/orders-0/00000000000000000000.log', 'runnel dump-log data/orders-0/00000000000000000000.log --print-data-log'))
    .argument('<files...>', 'segment files: NNNNNNNNNNNNNNNNNNNN.log (also .index, .timeindex) under <data-dir>/<topic>-<partition>/')
    .option('-d, --print-data-log', 'print each record: offset, timestamp, sizes, header keys, key and payload')
    .option('--deep-iteration', 'decode every record (without printing payloads) to check them too')
    .action(async (files: string[], opts: { printDataLog?: boolean; deepIteration?: boolean }, cmd: Command) => {
      const scan = await import('./segment-scan');
      const { json } = contextOfOffline(cmd);
      const o: DumpOptions = { json, printData: opts.printDataLog === true, deep: opts.deepIteration === true };
      const results: (SegmentReport | IndexReport)[] = [];
      const problems: string[] = [];
      for (const file of files) {
        const { kind, baseOffset } = scan.segmentFile(file);
        if (!json) out(`Dumping ${file}`);
        let report: SegmentReport | IndexReport;
        try {
          report = kind === 'log' ? await dumpLogFile(scan, file, baseOffset, o) : await dumpIndexFile(scan, file, kind, json);
        } catch (e) {
          throw fileError(file, e);
        }
        results.push(report);
        for (const p of report.problems) problems.push(`${file}: ${p.problem}`);
      }
      if (json) printJson(files.length === 1 ? results[0] : results);
      if (problems.length > 0) {
        throw new CliError(
          `${problems.length} problem${problems.length === 1 ? '' : 's'} found:\n  ${problems.join('\n  ')}`,
          'on start, the broker checks the batches after each partition\'s recovery point and truncates at the first bad one; keep a copy of the file if you need to investigate.',
        );
      }
    });
}
