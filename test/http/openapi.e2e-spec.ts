import { readFileSync } from 'node:fs';
import { OPENAPI_PATH, renderOpenApi } from '../../apps/broker/src/openapi';

describe('openapi/openapi.json', () => {
  it('is up to date with the controllers (run `npm run openapi` after changing them)', async () => {
    const current = await renderOpenApi();
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(current);
  });

  it('documents every endpoint with a summary, and every error code of the contract', async () => {
    const doc = JSON.parse(await renderOpenApi());
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) expect(`${method.toUpperCase()} ${path}: ${op.summary ?? ''}`).not.toMatch(/: $/);
    }
    expect(doc.paths['/topics/{topic}/records'].post.requestBody.content['application/json'].examples.single.value).toEqual({ key: 'user-1', value: { total: 42 } });
  });
});
