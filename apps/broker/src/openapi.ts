/**
 * `npm run openapi`: regenerates openapi/openapi.json from the controllers (the checked-in
 * contract artifact). A test fails when the checked-in file is out of date.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadBrokerConfig } from './config/broker-config';
import { buildApp } from './broker';
import { buildOpenApiDocument } from './http/swagger';

export const OPENAPI_PATH = resolve(__dirname, '../../../openapi/openapi.json');

/** The OpenAPI document as stable, pretty JSON text. */
export async function renderOpenApi(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-openapi-'));
  try {
    const config = loadBrokerConfig(['--data-dir', dir, '--http-port', '0', '--kafka-port', '0', '--log.level', 'error'], {});
    const app = await buildApp(config);
    await app.init();
    const doc = buildOpenApiDocument(app);
    await app.close();
    return `${JSON.stringify(doc, null, 2)}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  renderOpenApi()
    .then((text) => {
      writeFileSync(OPENAPI_PATH, text);
      console.log(`wrote ${OPENAPI_PATH}`);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
