/**
 * `runnel dump-log FILE...`: DumpLogSegments, offline (no broker). The checks are in
 * segment-scan.ts, loaded only when this command runs (the record codecs are native modules that
 * every other command would pay for at start).
 */
import { Command } from 'commander';
import { open } from 'node:fs/promises';
import { DUMP_PROGRESS_BYTES_MIN } from '../constants';
import { CliError } from '../errors';
import { contextOfOffline, out, printJson, progressBar, examples } from '../output';
import type { BatchReport, IndexReport, SegmentReport } from './segment-scan';

export function registerDumpLog(program: Command): void {
  program
    .command('dump-log')
    .description('check and print segment files offline, batch by batch (DumpLogSegments); exit 1 if any batch is bad')
    .addHelpText('after', examples('runnel dump-log data/orders-0/00000000000000000000.log', 'runnel dump-log data/orders-0/00000000000000000000.log --print-data-log'))
    .argument('<files...>', 'segment files: NNNNNNNNNNNNNNNNNNNN.log (also .index, .timeindex) under <data-dir>/<topic>-<partition>/')
    .option('-d, --print-data-log', 'print each record: offset, timestamp, sizes, header keys, key and payload')
    .option('--deep-iteration', 'decode every record (without printing payloads) to check them too')
    .action(async (files: string[], opts: { printDataLog?: boolean; deepIteration?: boolean }, cmd: Command) => {
      const { batchLine, recordLine, scanIndex, scanSegment, segmentFile } = await import('./segment-scan');
      const { json } = contextOfOffline(cmd);
      const printData = opts.printDataLog === true;
      const results: (SegmentReport | IndexReport)[] = [];
      const problems: string[] = [];
      for (const file of files) {
        const { kind, baseOffset } = segmentFile(file);
        if (!json) out(`Dumping ${file}`);
        let report: SegmentReport | IndexReport;
        try {
          if (kind === 'log') {
            const size = await open(file, 'r').then(async (fh) => {
              try {
                return (await fh.stat()).size;
              } finally {
                await fh.close();
              }
            });
            const bar = size >= DUMP_PROGRESS_BYTES_MIN ? progressBar('checking |{bar}| {percentage}% {value}/{total} bytes', size) : null;
            if (!json) out(`Log starting offset: ${baseOffset === null ? 'unknown (not a NNNNNNNNNNNNNNNNNNNN.log name)' : baseOffset.toString()}`);
            try {
              report = await scanSegment(file, {
                deep: opts.deepIteration === true,
                printData,
                onProgress: (p) => bar?.update(p),
                ...(json
                  ? {}
                  : {
                      onBatch: (b: BatchReport) => {
                        out(batchLine(b));
                        for (const r of b.records ?? []) if (printData || opts.deepIteration === true) out(recordLine(r, printData, b.timestamp_type));
                      },
                    }),
              });
            } finally {
              bar?.stop();
            }
            const r = report;
            if (!json) {
              for (const p of r.problems) if (!r.batches.some((b) => b.position === p.position)) out(`problem: ${p.problem}`);
              out(`Checked ${r.batches.length} batch${r.batches.length === 1 ? '' : 'es'} (${r.records} records, ${r.size_bytes} bytes): ${r.problems.length === 0 ? 'all valid' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`}.`);
            }
          } else {
            report = await scanIndex(file, kind);
            if (!json) {
              for (const e of report.entries) out(kind === 'offset' ? `offset: ${e.offset} position: ${e.position}` : `timestamp: ${e.timestamp} offset: ${e.offset}`);
              for (const p of report.problems) out(`problem: ${p.problem}`);
            }
          }
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          if (code === 'ENOENT') throw new CliError(`no such file: ${file}.`, 'segments live under <data-dir>/<topic>-<partition>/, e.g. data/orders-0/00000000000000000000.log.');
          if (code === 'EISDIR') throw new CliError(`${file} is a directory.`, 'give the segment files inside it, e.g. ' + `${file.replace(/\/+$/, '')}/00000000000000000000.log.`);
          if (code === 'EACCES') throw new CliError(`cannot read ${file}: permission denied.`);
          throw e;
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
