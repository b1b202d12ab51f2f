/**
 * The /live page in real headless Chromium (Debian's, driven by playwright-core): a person picks
 * a topic, records produced over HTTP appear with a counter; pause stops them and resume carries on
 * with no gap and no repeat.
 */
import { Browser, Page, chromium } from 'playwright-core';
import { TestBroker, startTestBroker } from '../helpers/broker';
import { WAIT_MS, createTopic, produce } from './live-helpers';

jest.setTimeout(90_000);

const CHROMIUM = '/usr/bin/chromium';

let b: TestBroker;
let browser: Browser;

beforeAll(async () => {
  b = await startTestBroker();
  // A fresh temporary profile per launch (playwright's default).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await b?.close();
});

/** Waits until the element's text is `text` (the page updates it on `records` frames). */
function waitForText(selector: string, text: string): Promise<unknown> {
  return page.waitForFunction(`document.querySelector(${JSON.stringify(selector)}).textContent === ${JSON.stringify(text)}`, undefined, { timeout: WAIT_MS });
}

let page: Page;

it('serves /live, and records produced over HTTP appear on the page; pause and resume lose nothing', async () => {
  await createTopic(b.url, 'page-orders', 2);
  page = await browser.newPage();
  const response = await page.goto(`${b.url}/live`);
  expect(response?.status()).toBe(200);
  expect(await page.title()).toBe('Runnel live tail');
  await page.fill('#topic', 'page-orders');
  await page.click('#watch');
  await waitForText('#status', 'watching page-orders');

  await produce(b.url, 'page-orders', [{ key: 'o-1', value: { item: 'tea', qty: 2 } }]);
  await waitForText('#count', '1');
  expect(await page.textContent('#records li')).toContain('"item":"tea"');

  await page.click('#pause');
  expect(await page.textContent('#pause')).toBe('Resume');
  await produce(b.url, 'page-orders', [{ value: 'while-paused-1', partition: 0 }, { value: 'while-paused-2', partition: 1 }]);
  // Nothing arrives while paused (the page unsubscribed); checked after a round trip to the broker.
  await produce(b.url, 'page-orders', [{ value: 'while-paused-3', partition: 0 }]);
  expect(await page.textContent('#count')).toBe('1');
  await page.click('#pause');
  await waitForText('#count', '4');
  await produce(b.url, 'page-orders', [{ value: 'after' }]);
  await waitForText('#count', '5');
  const shown = await page.$$eval('#records li', (items) => items.map((li) => (li as { textContent: string | null }).textContent ?? ''));
  for (const v of ['tea', 'while-paused-1', 'while-paused-2', 'while-paused-3', 'after']) expect(shown.filter((t) => t.includes(v))).toHaveLength(1);
  await page.close();
});
