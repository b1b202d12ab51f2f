/**
 * `runnel cluster`, `runnel log-dirs` (kafka-log-dirs.sh) and `runnel api-versions`
 * (kafka-broker-api-versions.sh), over the admin API.
 */
import { Command } from 'commander';
import { ApiError } from '../errors';
import { contextOf, formatBytes, out, printJson, printTable, examples } from '../output';

interface ClusterInfo {
  cluster_id: string;
  controller: number;
  version: string;
  brokers: { id: number; host: string; kafka_port: number; http_port: number | null; fenced?: boolean }[];
  /** Present once the broker advertises its Kafka API versions over HTTP (the wire door's ApiVersions table). */
  api_versions?: ApiVersionRange[];
}

interface ApiVersionRange {
  api_key: number;
  name?: string;
  min_version: number;
  max_version: number;
}

interface LogDir {
  path: string;
  partitions: { topic: string; partition: number; size_bytes: number; log_start_offset: number; log_end_offset: number; high_watermark: number; segments: number }[];
}

interface OpenApiDocument {
  openapi?: string;
  info?: { title?: string; version?: string };
}

export function registerCluster(program: Command): void {
  program
    .command('cluster')
    .description('cluster id, controller, brokers and version')
    .addHelpText('after', examples('runnel cluster', 'runnel --server http://broker:8080 cluster --json'))
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const c = await ctx.client.get<ClusterInfo>('/admin/cluster');
      if (ctx.json) return printJson(c);
      out(`Cluster ID: ${c.cluster_id}`);
      out(`Controller: ${c.controller}`);
      out(`Version:    ${c.version}`);
      out();
      printTable(
        ['BROKER', 'HOST', 'KAFKA-PORT', 'HTTP-PORT', 'FENCED'],
        c.brokers.map((b) => [b.id, b.host, b.kafka_port, b.http_port, b.fenced ?? false]),
      );
    });

  program
    .command('log-dirs')
    .description('size and offsets of every partition in each log directory (kafka-log-dirs.sh)')
    .addHelpText('after', examples('runnel log-dirs --topic orders'))
    .option('-t, --topic <topic>', 'only this topic')
    .action(async (opts: { topic?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const dirs = (await ctx.client.get<LogDir[]>('/admin/log-dirs')).map((d) => ({
        ...d,
        partitions: d.partitions.filter((p) => opts.topic === undefined || p.topic === opts.topic),
      }));
      if (ctx.json) return printJson(dirs);
      dirs.forEach((d, i) => {
        if (i > 0) out();
        const total = d.partitions.reduce((s, p) => s + p.size_bytes, 0);
        out(`Log dir: ${d.path} (${d.partitions.length} partitions, ${formatBytes(total)})`);
        if (d.partitions.length === 0) return;
        printTable(
          ['TOPIC', 'PARTITION', 'SIZE', 'SIZE-BYTES', 'LOG-START-OFFSET', 'LOG-END-OFFSET', 'HIGH-WATERMARK', 'SEGMENTS'],
          d.partitions.map((p) => [p.topic, p.partition, formatBytes(p.size_bytes), p.size_bytes, p.log_start_offset, p.log_end_offset, p.high_watermark, p.segments]),
        );
      });
    });

  program
    .command('api-versions')
    .description('the broker\'s HTTP API version and, when it advertises them, its Kafka API version ranges (kafka-broker-api-versions.sh)')
    .addHelpText('after', examples('runnel api-versions'))
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const c = await ctx.client.get<ClusterInfo>('/admin/cluster');
      let doc: OpenApiDocument | null = null;
      try {
        doc = await ctx.client.get<OpenApiDocument>('/openapi.json');
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
      }
      const ranges = c.api_versions ?? null;
      const kafka = c.brokers.map((b) => `${b.host}:${b.kafka_port}`);
      if (ctx.json) {
        return printJson({
          server: ctx.client.server,
          broker_version: c.version,
          http_api: { title: doc?.info?.title ?? null, version: doc?.info?.version ?? null, openapi: doc?.openapi ?? null },
          kafka_listeners: kafka,
          kafka_api_versions: ranges,
        });
      }
      out(`${ctx.client.server} (Runnel ${c.version}, cluster ${c.cluster_id})`);
      out(`HTTP API: ${doc?.info?.title ?? 'Runnel API'} ${doc?.info?.version ?? '(version not published: /openapi.json is missing)'}${doc?.openapi === undefined ? '' : `, OpenAPI ${doc.openapi}`}`);
      out(`Kafka listeners: ${kafka.join(', ') || '-'}`);
      if (ranges === null) {
        out('Kafka API versions: not advertised over HTTP by this broker. They are listed by the Kafka wire door (ApiVersions on the Kafka port) once it is served; until then the CLI cannot show them without guessing.');
        return;
      }
      printTable(['API-KEY', 'NAME', 'MIN-VERSION', 'MAX-VERSION'], ranges.map((r) => [r.api_key, r.name ?? null, r.min_version, r.max_version]));
    });
}
