/**
 * The Kafka protocol codec generator: reads Apache Kafka's JSON message schemas and writes typed
 * TypeScript encoders/decoders into libs/protocol/src/generated/, one file per API (request and
 * response) plus the headers and an index with the dispatch table.
 *
 *   node -r @swc-node/register scripts/protocol-gen/generate.ts [--spec <dir>] [--out <dir>] [--config <file>]
 *
 * The spec defaults to ../shared/kafka-spec/message beside the repository ($RUNNEL_KAFKA_SPEC_DIR overrides).
 *
 * Which APIs and versions: scripts/protocol-gen/apis.json. The output is committed; a jest test in
 * libs/protocol regenerates into a temporary directory and fails when the committed files differ.
 *
 * The shape of the generated code, per struct (the message itself is a struct too):
 * - one interface covering every generated version: a field present in every version the struct
 *   exists in is required; one present only in some versions, or tagged, is optional (`?`); a
 *   field nullable in any version has `| null`.
 * - `writeX(w, v, m)`: straight-line writes with `if (v >= N)` branches for version-dependent
 *   fields. A missing optional field is written as its schema default. A field absent from version
 *   v but set to a non-default value throws `unsupported_field` unless the schema marks it ignorable
 *   (Kafka's rule). Tagged fields are written only when they differ from their default.
 * - `readX(r, v)`: the mirror image. A decoded message carries exactly the fields of its version;
 *   tagged fields not on the wire get their defaults (tagged structs stay absent); unknown tags
 *   are skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  FieldJson,
  MessageJson,
  Range,
  VERSION_MAX,
  contains,
  formatRange,
  hull,
  intersect,
  isEmpty,
  parseRange,
  readMessage,
} from './schema';

export interface ApiConfig {
  name: string;
  versions: string;
}

export interface GeneratorConfig {
  apis: ApiConfig[];
}

const PRIMITIVES = ['bool', 'int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid'] as const;
export type Primitive = (typeof PRIMITIVES)[number];

export type TypeModel =
  | { kind: 'primitive'; primitive: Primitive }
  | { kind: 'array'; element: TypeModel }
  | { kind: 'struct'; struct: StructModel };

export interface FieldModel {
  json: FieldJson;
  property: string;
  type: TypeModel;
  /** Versions (within the generated range) the field is on the wire in. */
  versions: Range;
  nullable: Range;
  tagged: Range;
  tag: number;
  /** Versions in which the field uses compact (flexible) encodings. */
  flexible: Range;
  ignorable: boolean;
}

export interface StructModel {
  name: string;
  about: string;
  fields: FieldModel[];
  /** Hull of the versions the struct is reachable in. */
  versions: Range;
  needsDefault: boolean;
}

export interface MessageModel {
  json: MessageJson;
  valid: Range;
  flexible: Range;
  root: StructModel;
  structs: StructModel[];
}

/** `ThrottleTimeMs` -> `throttleTimeMs`, `ISRNodes` -> `isrNodes`. */
export function camelCase(name: string): string {
  const run = /^[A-Z]+/.exec(name)?.[0] ?? '';
  if (run.length <= 1) return name.charAt(0).toLowerCase() + name.slice(1);
  const lower = run.length === name.length ? run.length : run.length - 1;
  return name.slice(0, lower).toLowerCase() + name.slice(lower);
}

function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Builds the struct model of one message for the versions to generate. */
class MessageBuilder {
  readonly structs: StructModel[] = [];
  private readonly byName = new Map<string, StructModel>();
  private readonly common = new Map<string, FieldJson[]>();

  constructor(
    private readonly json: MessageJson,
    private readonly valid: Range,
    private readonly flexible: Range,
  ) {
    for (const s of json.commonStructs ?? []) this.common.set(s.name, s.fields);
  }

  build(): MessageModel {
    const root = this.struct(this.json.name, this.json.fields, this.valid, `The body of a ${this.json.name}.`);
    return { json: this.json, valid: this.valid, flexible: this.flexible, root, structs: this.structs };
  }

  private struct(jsonName: string, fields: FieldJson[], versions: Range, about: string): StructModel {
    // Struct names are scoped by message (ProduceRequest + TopicProduceData); names that already
    // start with the message name (MetadataRequestTopic) are kept as they are.
    const name = jsonName.startsWith(this.json.name) ? jsonName : `${this.json.name}${jsonName}`;
    const existing = this.byName.get(name);
    if (existing) {
      existing.versions = hull(existing.versions, versions);
      return existing;
    }
    const struct: StructModel = { name, about, fields: [], versions, needsDefault: false };
    this.byName.set(name, struct);
    this.structs.push(struct);
    const properties = new Set<string>();
    for (const field of fields) {
      const fieldVersions = intersect(parseRange(field.versions), versions);
      if (isEmpty(fieldVersions)) continue;
      const property = camelCase(field.name);
      if (properties.has(property)) throw new Error(`${name}: duplicate property ${property}`);
      properties.add(property);
      const flexible = field.flexibleVersions !== undefined ? parseRange(field.flexibleVersions) : this.flexible;
      const model: FieldModel = {
        json: field,
        property,
        type: this.type(field, fieldVersions),
        versions: fieldVersions,
        nullable: intersect(parseRange(field.nullableVersions), fieldVersions),
        tagged: intersect(parseRange(field.taggedVersions), fieldVersions),
        tag: field.tag ?? -1,
        flexible: intersect(flexible, this.flexible),
        ignorable: field.ignorable === true,
      };
      if (!isEmpty(model.tagged) && model.tag < 0) throw new Error(`${name}.${field.name}: tagged without a tag`);
      if (!isEmpty(model.tagged) && (model.tagged.min !== fieldVersions.min || model.tagged.max !== fieldVersions.max)) {
        throw new Error(`${name}.${field.name}: tagged in only some of its versions (not supported)`);
      }
      if (!isEmpty(model.tagged) && !contains(this.flexible, model.tagged)) {
        throw new Error(`${name}.${field.name}: tagged outside flexible versions`);
      }
      struct.fields.push(model);
    }
    return struct;
  }

  private type(field: FieldJson, versions: Range): TypeModel {
    const array = field.type.startsWith('[]');
    const base = array ? field.type.slice(2) : field.type;
    let element: TypeModel;
    if ((PRIMITIVES as readonly string[]).includes(base)) {
      element = { kind: 'primitive', primitive: base as Primitive };
    } else {
      const fields = field.fields ?? this.common.get(base);
      if (!fields) throw new Error(`${this.json.name}.${field.name}: unknown type ${field.type}`);
      element = { kind: 'struct', struct: this.struct(base, fields, versions, field.about ?? '') };
    }
    return array ? { kind: 'array', element } : element;
  }
}

// ---------------------------------------------------------------------------------------------
// Code emission

function tsType(type: TypeModel): string {
  if (type.kind === 'array') return `${tsType(type.element)}[]`;
  if (type.kind === 'struct') return type.struct.name;
  switch (type.primitive) {
    case 'bool':
      return 'boolean';
    case 'int64':
      return 'bigint';
    case 'string':
    case 'uuid':
      return 'string';
    case 'bytes':
    case 'records':
      return 'Buffer';
    default:
      return 'number';
  }
}

function isTaggedStruct(field: FieldModel): boolean {
  return field.type.kind === 'struct' && !isEmpty(field.tagged);
}

/** The schema default of a field as a TypeScript expression. */
function defaultValue(field: FieldModel): string {
  const d = field.json.default;
  const type = field.type;
  if (type.kind === 'array') return d === 'null' ? 'null' : '[]';
  if (type.kind === 'struct') {
    if (d === 'null') return 'null';
    type.struct.needsDefault = true;
    return `default${type.struct.name}()`;
  }
  switch (type.primitive) {
    case 'bool':
      return d === true || d === 'true' ? 'true' : 'false';
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32': {
      const n = d === undefined || d === '' ? 0 : Number(d);
      if (!Number.isInteger(n)) throw new Error(`${field.json.name}: bad default ${String(d)}`);
      return String(n);
    }
    case 'int64':
      return `${d === undefined || d === '' ? 0n : BigInt(d)}n`;
    case 'float64':
      return String(d === undefined || d === '' ? 0 : Number(d));
    case 'string':
      return d === 'null' ? 'null' : JSON.stringify(d ?? '');
    case 'uuid':
      return 'ZERO_UUID';
    case 'bytes':
    case 'records':
      return isEmpty(field.nullable) && d !== 'null' ? 'EMPTY_BYTES' : 'null';
  }
}

/** A boolean expression of `v` that is true exactly for versions in `range`, within `span`. */
function versionTest(range: Range, span: Range): string {
  const r = intersect(range, span);
  if (isEmpty(r)) return 'false';
  const parts: string[] = [];
  if (r.min > span.min) parts.push(`v >= ${r.min}`);
  if (r.max < span.max && r.max !== VERSION_MAX) parts.push(`v <= ${r.max}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}

/** The "is at its default" test used for tagged fields (written only when not default). */
function isDefaultTest(field: FieldModel, value: string): string {
  const type = field.type;
  const d = defaultValue(field);
  if (type.kind === 'array') {
    return d === 'null' ? `${value} === null` : `(${value} !== null && ${value}.length === 0)`;
  }
  if (type.kind === 'struct') return d === 'null' ? `${value} === null` : 'false';
  if (type.primitive === 'bytes' || type.primitive === 'records') {
    return d === 'null' ? `${value} === null` : `(${value} !== null && ${value}.length === 0)`;
  }
  return `${value} === ${d}`;
}

class Emitter {
  private lines: string[] = [];
  depth = 0;
  private counter = 0;

  line(text = ''): void {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
  }

  open(text: string): void {
    this.line(text);
    this.depth++;
  }

  close(text = '}'): void {
    this.depth--;
    this.line(text);
  }

  dedent(): void {
    this.depth--;
  }

  fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  resetCounter(): void {
    this.counter = 0;
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

/** Flexibility test, evaluated where the field is known to be on the wire. */
function flexExpression(field: FieldModel, _span: Range): string {
  const t = versionTest(field.flexible, field.versions);
  return t === 'true' || t === 'false' ? t : `(${t})`;
}

/** Statements writing `value` of `type` to writer `w`. `nullable` is a boolean expression. */
function emitWrite(
  e: Emitter,
  type: TypeModel,
  value: string,
  writer: string,
  flex: string,
  nullable: string,
  what: string,
): void {
  if (type.kind === 'array') {
    const a = e.fresh('a');
    const x = e.fresh('x');
    e.open('{');
    e.line(`const ${a} = ${value};`);
    e.open(`if (${a} === null) {`);
    if (nullable === 'false') e.line(`throw new ProtocolError('null_not_allowed', '${what} is not nullable');`);
    else if (nullable === 'true') e.line(`${writer}.arrayLength(${flex}, -1);`);
    else {
      e.line(`if (!(${nullable})) throw new ProtocolError('null_not_allowed', '${what} is not nullable in this version');`);
      e.line(`${writer}.arrayLength(${flex}, -1);`);
    }
    e.close('} else {');
    e.depth++;
    e.line(`${writer}.arrayLength(${flex}, ${a}.length);`);
    e.open(`for (const ${x} of ${a}) {`);
    emitWrite(e, type.element, x, writer, flex, 'false', `${what}[]`);
    e.close();
    e.close();
    e.close();
    return;
  }
  if (type.kind === 'struct') {
    if (nullable === 'false') {
      e.line(`write${type.struct.name}(${writer}, v, ${value});`);
    } else {
      const s = e.fresh('s');
      e.open('{');
      e.line(`const ${s} = ${value};`);
      e.open(`if (${s} === null) {`);
      if (nullable !== 'true') {
        e.line(`if (!(${nullable})) throw new ProtocolError('null_not_allowed', '${what} is not nullable in this version');`);
      }
      e.line(`${writer}.int8(-1);`);
      e.close('} else {');
      e.depth++;
      e.line(`${writer}.int8(1);`);
      e.line(`write${type.struct.name}(${writer}, v, ${s});`);
      e.close();
      e.close();
    }
    return;
  }
  const p = type.primitive;
  if (p === 'string' || p === 'bytes' || p === 'records') {
    const method = p === 'string' ? 'String' : 'Bytes';
    const lower = p === 'string' ? 'string' : 'bytes';
    if (nullable === 'true') e.line(`${writer}.nullable${method}(${flex}, ${value});`);
    else if (nullable === 'false') e.line(`${writer}.${lower}(${flex}, ${value} as ${tsType(type)});`);
    else {
      e.line(
        `if (${nullable}) ${writer}.nullable${method}(${flex}, ${value}); else ${writer}.${lower}(${flex}, ${value} as ${tsType(type)});`,
      );
    }
    return;
  }
  e.line(`${writer}.${p}(${value});`);
}

/** Statements reading a value of `type` and handing the expression to `assign`. */
function emitRead(e: Emitter, type: TypeModel, assign: (expr: string) => string, flex: string, nullable: string): void {
  if (type.kind === 'array') {
    const n = e.fresh('n');
    const a = e.fresh('a');
    const i = e.fresh('i');
    e.open('{');
    if (nullable === 'false') e.line(`const ${n} = r.arrayLength(${flex});`);
    else if (nullable === 'true') e.line(`const ${n} = r.nullableArrayLength(${flex});`);
    else e.line(`const ${n} = ${nullable} ? r.nullableArrayLength(${flex}) : r.arrayLength(${flex});`);
    const body = (): void => {
      e.line(`const ${a}: ${tsType(type.element)}[] = [];`);
      e.open(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`);
      emitRead(e, type.element, (x) => `${a}.push(${x});`, flex, 'false');
      e.close();
      e.line(assign(a));
    };
    if (nullable === 'false') body();
    else {
      e.open(`if (${n} < 0) {`);
      e.line(assign('null'));
      e.close('} else {');
      e.depth++;
      body();
      e.close();
    }
    e.close();
    return;
  }
  if (type.kind === 'struct') {
    if (nullable === 'false') e.line(assign(`read${type.struct.name}(r, v)`));
    else {
      e.line(assign(`r.structPresent() ? read${type.struct.name}(r, v) : null`));
    }
    return;
  }
  const p = type.primitive;
  if (p === 'string' || p === 'bytes' || p === 'records') {
    const method = p === 'string' ? 'String' : 'Bytes';
    const lower = p === 'string' ? 'string' : 'bytes';
    if (nullable === 'true') e.line(assign(`r.nullable${method}(${flex})`));
    else if (nullable === 'false') e.line(assign(`r.${lower}(${flex})`));
    else e.line(assign(`${nullable} ? r.nullable${method}(${flex}) : r.${lower}(${flex})`));
    return;
  }
  e.line(assign(`r.${p}()`));
}

/** Nullability test, evaluated where the field is known to be on the wire. */
function nullableTest(field: FieldModel, _span: Range): string {
  const t = versionTest(field.nullable, field.versions);
  return t === 'true' || t === 'false' ? t : `(${t})`;
}

/** Optional in the interface: not on the wire in every version the struct exists in, or tagged. */
function isOptional(field: FieldModel, struct: StructModel): boolean {
  return field.versions.min > struct.versions.min || field.versions.max < struct.versions.max || !isEmpty(field.tagged);
}

function emitStruct(e: Emitter, message: MessageModel, struct: StructModel): void {
  const span = struct.versions;
  const flexSpan = intersect(message.flexible, span);
  const flexAll = versionTest(message.flexible, span);
  e.line('/**');
  for (const line of (struct.about || struct.name).split('\n')) e.line(` * ${line}`);
  e.line(` * Versions ${formatRange(span)}.`);
  e.line(' */');
  e.open(`export interface ${struct.name} {`);
  for (const field of struct.fields) {
    const notes = [`versions ${formatRange(field.versions)}`];
    if (!isEmpty(field.nullable)) notes.push(`nullable ${formatRange(field.nullable)}`);
    if (!isEmpty(field.tagged)) notes.push(`tag ${field.tag} in ${formatRange(field.tagged)}`);
    if (field.json.default !== undefined) notes.push(`default ${String(field.json.default)}`);
    const about = (field.json.about ?? '').replace(/\*\//g, '* /');
    e.line(`/** ${about} (${notes.join(', ')}) */`);
    const optional = isOptional(field, struct) ? '?' : '';
    const nullable = isEmpty(field.nullable) ? '' : ' | null';
    e.line(`${field.property}${optional}: ${tsType(field.type)}${nullable};`);
  }
  e.close();
  e.line();

  // The writer.
  e.resetCounter();
  e.open(`export function write${struct.name}(w: Writer, v: number, m: ${struct.name}): void {`);
  for (const field of struct.fields) {
    const inVersion = versionTest(field.versions, span);
    if (!isEmpty(field.tagged)) {
      emitUnsupportedCheck(e, struct, field, inVersion === 'true' ? 'false' : `!(${inVersion})`);
      continue;
    }
    const optional = isOptional(field, struct);
    // `??` would turn an explicit null into the default: nullable fields test for undefined only.
    const value = !optional
      ? `m.${field.property}`
      : isEmpty(field.nullable)
        ? `(m.${field.property} ?? ${defaultValue(field)})`
        : `(m.${field.property} === undefined ? ${defaultValue(field)} : m.${field.property})`;
    const write = (): void =>
      emitWrite(e, field.type, value, 'w', flexExpression(field, span), nullableTest(field, span), `${struct.name}.${field.property}`);
    if (inVersion === 'true') write();
    else {
      e.open(`if (${inVersion}) {`);
      write();
      e.close();
      emitUnsupportedCheck(e, struct, field, `!(${inVersion})`);
    }
  }
  const tagged = struct.fields.filter((f) => !isEmpty(f.tagged)).sort((a, b) => a.tag - b.tag);
  if (!isEmpty(flexSpan)) {
    e.open(flexAll === 'true' ? '{' : `if (${flexAll}) {`);
    if (tagged.length === 0) e.line('w.uvarint(0);');
    else {
      const flags: string[] = [];
      for (const field of tagged) {
        const flag = e.fresh('t');
        flags.push(flag);
        const value = `m.${field.property}`;
        e.line(
          `const ${flag} = ${versionTest(field.tagged, span)} && ${value} !== undefined && !(${isDefaultTest(field, value)});`,
        );
      }
      e.line(`w.uvarint(${flags.map((f) => `(${f} ? 1 : 0)`).join(' + ')});`);
      tagged.forEach((field, index) => {
        const flag = flags[index]!;
        const tw = e.fresh('tw');
        e.open(`if (${flag}) {`);
        e.line(`const ${tw} = new Writer(64);`);
        const tagType = `${tsType(field.type)}${isEmpty(field.nullable) ? '' : ' | null'}`;
        emitWrite(e, field.type, `(m.${field.property} as ${tagType})`, tw, 'true', nullableTest(field, span), `${struct.name}.${field.property}`);
        e.line(`w.uvarint(${field.tag});`);
        e.line(`w.uvarint(${tw}.length);`);
        e.line(`w.raw(${tw}.finish());`);
        e.close();
      });
    }
    e.close();
  }
  e.close();
  e.line();

  // The reader.
  e.resetCounter();
  e.open(`export function read${struct.name}(r: Reader, v: number): ${struct.name} {`);
  e.line(`const m = {} as ${struct.name};`);
  for (const field of struct.fields) {
    if (!isEmpty(field.tagged)) continue;
    const inVersion = versionTest(field.versions, span);
    const read = (): void =>
      emitRead(e, field.type, (x) => `m.${field.property} = ${x};`, flexExpression(field, span), nullableTest(field, span));
    if (inVersion === 'true') read();
    else {
      e.open(`if (${inVersion}) {`);
      read();
      e.close();
    }
  }
  if (!isEmpty(flexSpan)) {
    e.open(flexAll === 'true' ? '{' : `if (${flexAll}) {`);
    if (tagged.length === 0) e.line('r.skipTaggedFields();');
    else {
      for (const field of tagged) {
        if (isTaggedStruct(field)) continue;
        const t = versionTest(field.tagged, span);
        e.line(`${t === 'true' ? '' : `if (${t}) `}m.${field.property} = ${defaultValue(field)};`);
      }
      e.line('const count = r.uvarint();');
      e.open('for (let i = 0; i < count; i++) {');
      e.line('const tag = r.uvarint();');
      e.line('const size = r.uvarint();');
      e.line('const end = r.offset + size;');
      e.open('switch (tag) {');
      for (const field of tagged) {
        e.open(`case ${field.tag}: {`);
        const t = versionTest(field.tagged, span);
        e.open(`if (${t}) {`);
        emitRead(e, field.type, (x) => `m.${field.property} = ${x};`, 'true', nullableTest(field, span));
        e.line(`r.expectOffset(end, '${struct.name}.${field.property}');`);
        e.close('} else {');
        e.depth++;
        e.line('r.skip(size);');
        e.close();
        e.line('break;');
        e.close();
      }
      e.open('default:');
      e.line('r.skip(size);');
      e.dedent();
      e.close();
      e.close();
    }
    e.close();
  }
  e.line('return m;');
  e.close();
  e.line();
}

/**
 * Kafka refuses to silently drop a non-default, non-ignorable field the version cannot carry.
 * `absent` is a boolean expression true when the field is not on the wire in version v.
 */
function emitUnsupportedCheck(e: Emitter, struct: StructModel, field: FieldModel, absent: string): void {
  if (field.ignorable || field.type.kind === 'struct' || absent === 'false') return;
  const value = `m.${field.property}`;
  e.line(
    `if (${absent} && ${value} !== undefined && !(${isDefaultTest(field, value)})) throw new ProtocolError('unsupported_field', \`${struct.name}.${field.property} is not in version \${v}\`);`,
  );
}

function emitDefaults(e: Emitter, struct: StructModel): void {
  e.open(`export function default${struct.name}(): ${struct.name} {`);
  e.open('return {');
  for (const field of struct.fields) {
    if (isTaggedStruct(field)) continue;
    e.line(`${field.property}: ${defaultValue(field)},`);
  }
  e.close('};');
  e.close();
  e.line();
}

function header(sources: string[]): string {
  return [
    '// GENERATED by scripts/protocol-gen/generate.ts from Apache Kafka message schemas: do not edit.',
    `// Sources: ${sources.join(', ')}`,
    '/* eslint-disable */',
    '',
  ].join('\n');
}

function emitMessages(messages: MessageModel[]): string {
  const e = new Emitter();
  e.line("import { ProtocolError } from '../errors';");
  e.line("import { Reader } from '../reader';");
  e.line("import { Writer } from '../writer';");
  e.line("import { EMPTY_BYTES, ZERO_UUID } from '../values';");
  e.line();
  for (const message of messages) {
    for (const struct of message.structs) emitStruct(e, message, struct);
  }
  // Default constructors are requested while emitting; emit them after.
  for (const message of messages) {
    for (const struct of message.structs) {
      if (struct.needsDefault) emitDefaults(e, struct);
    }
  }
  return e.text();
}

export interface ApiModel {
  name: string;
  apiKey: number;
  file: string;
  valid: Range;
  flexible: Range;
  request: MessageModel;
  response: MessageModel;
}

function buildMessage(specDir: string, name: string, range: Range): MessageModel {
  const json = readMessage(specDir, name);
  const valid = parseRange(json.validVersions);
  if (!contains(valid, range)) throw new Error(`${name}: configured ${formatRange(range)} outside valid ${json.validVersions}`);
  return new MessageBuilder(json, range, intersect(parseRange(json.flexibleVersions), range)).build();
}

function emitIndex(apis: ApiModel[]): string {
  const e = new Emitter();
  e.line("import type { Reader } from '../reader';");
  e.line("import type { Writer } from '../writer';");
  for (const api of apis) {
    e.line(
      `import { ${api.request.root.name}, ${api.response.root.name}, read${api.request.root.name}, read${api.response.root.name}, write${api.request.root.name}, write${api.response.root.name} } from './${api.file}';`,
    );
  }
  for (const api of apis) e.line(`export * from './${api.file}';`);
  e.line("export * from './headers';");
  e.line();
  e.line('/** The Kafka API keys this build has codecs for. */');
  e.open('export enum ApiKey {');
  for (const api of [...apis].sort((a, b) => a.apiKey - b.apiKey)) e.line(`${api.name} = ${api.apiKey},`);
  e.close();
  e.line();
  e.line('/** Request body type per API key. */');
  e.open('export interface RequestBodies {');
  for (const api of apis) e.line(`[ApiKey.${api.name}]: ${api.request.root.name};`);
  e.close();
  e.line();
  e.line('/** Response body type per API key. */');
  e.open('export interface ResponseBodies {');
  for (const api of apis) e.line(`[ApiKey.${api.name}]: ${api.response.root.name};`);
  e.close();
  e.line();
  e.line('/** The generated codecs of one API: versions and body readers/writers. */');
  e.open('export interface ApiCodec {');
  e.line('readonly apiKey: ApiKey;');
  e.line('readonly name: string;');
  e.line('readonly minVersion: number;');
  e.line('readonly maxVersion: number;');
  e.line('/** First flexible version, or -1 when no generated version is flexible. */');
  e.line('readonly flexibleMinVersion: number;');
  e.line('readonly writeRequest: (w: Writer, v: number, m: never) => void;');
  e.line('readonly readRequest: (r: Reader, v: number) => unknown;');
  e.line('readonly writeResponse: (w: Writer, v: number, m: never) => void;');
  e.line('readonly readResponse: (r: Reader, v: number) => unknown;');
  e.close();
  e.line();
  e.line('/** Codecs by API key, in key order. */');
  e.open('export const API_CODECS: readonly ApiCodec[] = [');
  for (const api of [...apis].sort((a, b) => a.apiKey - b.apiKey)) {
    const flexMin = isEmpty(api.flexible) ? -1 : api.flexible.min;
    e.line(
      `{ apiKey: ApiKey.${api.name}, name: '${api.name}', minVersion: ${api.valid.min}, maxVersion: ${api.valid.max}, flexibleMinVersion: ${flexMin}, writeRequest: write${api.request.root.name}, readRequest: read${api.request.root.name}, writeResponse: write${api.response.root.name}, readResponse: read${api.response.root.name} },`,
    );
  }
  e.close('];');
  return e.text();
}

/** The models of the configured APIs (also used by the round-trip tests to make valid values). */
export function buildApis(specDir: string, config: GeneratorConfig): ApiModel[] {
  const apis: ApiModel[] = [];
  const keys = new Set<number>();
  for (const entry of config.apis) {
    const range = parseRange(entry.versions);
    if (isEmpty(range)) throw new Error(`${entry.name}: empty version range`);
    const request = buildMessage(specDir, `${entry.name}Request`, range);
    const response = buildMessage(specDir, `${entry.name}Response`, range);
    const apiKey = request.json.apiKey;
    if (apiKey === undefined || apiKey !== response.json.apiKey) throw new Error(`${entry.name}: api keys disagree`);
    if (keys.has(apiKey)) throw new Error(`${entry.name}: api key ${apiKey} listed twice`);
    keys.add(apiKey);
    if (request.json.flexibleVersions !== response.json.flexibleVersions) {
      throw new Error(`${entry.name}: request and response flexible versions differ`);
    }
    apis.push({ name: entry.name, apiKey, file: kebabCase(entry.name), valid: range, flexible: request.flexible, request, response });
  }
  return apis;
}

/** Generate every output file: name -> content. Pure: reads the spec, writes nothing. */
export function generate(specDir: string, config: GeneratorConfig): Map<string, string> {
  const files = new Map<string, string>();
  const apis = buildApis(specDir, config);
  for (const api of apis) {
    files.set(
      `${api.file}.ts`,
      header([`${api.name}Request.json`, `${api.name}Response.json`, `versions ${formatRange(api.valid)}`]) +
        emitMessages([api.request, api.response]),
    );
  }
  const requestHeader = buildMessage(specDir, 'RequestHeader', { min: 0, max: 2 });
  const responseHeader = buildMessage(specDir, 'ResponseHeader', { min: 0, max: 1 });
  files.set('headers.ts', header(['RequestHeader.json', 'ResponseHeader.json']) + emitMessages([requestHeader, responseHeader]));
  files.set('index.ts', header(['scripts/protocol-gen/apis.json']) + emitIndex(apis));
  return files;
}

/** Write the generated files into `outDir`, removing stale generated files. */
export function writeGenerated(outDir: string, files: Map<string, string>): void {
  fs.mkdirSync(outDir, { recursive: true });
  for (const existing of fs.readdirSync(outDir)) {
    if (existing.endsWith('.ts') && !files.has(existing)) fs.rmSync(path.join(outDir, existing));
  }
  for (const [name, content] of files) fs.writeFileSync(path.join(outDir, name), content);
}

export const ROOT = path.resolve(__dirname, '..', '..');
/** The Kafka message schemas: `../shared/kafka-spec/message` beside the repository, or $RUNNEL_KAFKA_SPEC_DIR. */
export const DEFAULT_SPEC_DIR = process.env.RUNNEL_KAFKA_SPEC_DIR ?? path.resolve(ROOT, '..', 'shared', 'kafka-spec', 'message');
export const DEFAULT_CONFIG = path.join(__dirname, 'apis.json');
export const DEFAULT_OUT_DIR = path.join(ROOT, 'libs', 'protocol', 'src', 'generated');

export function readConfig(file: string): GeneratorConfig {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as GeneratorConfig;
}

function main(argv: string[]): void {
  const option = (name: string, fallback: string): string => {
    const index = argv.indexOf(name);
    return index >= 0 && argv[index + 1] !== undefined ? path.resolve(argv[index + 1]!) : fallback;
  };
  const specDir = option('--spec', DEFAULT_SPEC_DIR);
  const outDir = option('--out', DEFAULT_OUT_DIR);
  const files = generate(specDir, readConfig(option('--config', DEFAULT_CONFIG)));
  writeGenerated(outDir, files);
  console.log(`protocol-gen: wrote ${files.size} files to ${path.relative(process.cwd(), outDir) || '.'}`);
}

if (require.main === module) main(process.argv.slice(2));
