// What the browser tests read off the dashboard and the statement: the spend chart as Chart.js
// holds it and as it is painted, the rows of the tables, an element's computed style.
import type { Locator, Page } from 'playwright-core';

// What the page functions below touch in the browser (the tests compile without the DOM library).
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
interface Dataset {
  label: string;
  data: (number | null)[];
  borderDash?: number[];
  fill?: unknown;
  yAxisID?: string;
}
interface Row {
  dataset: Record<string, string>;
  children: ArrayLike<{ textContent: string }>;
  querySelectorAll(
    selector: string,
  ): ArrayLike<{ dataset: Record<string, string>; firstChild: { textContent: string } }>;
}
declare const document: { querySelector(selector: string): Canvas };
declare function getComputedStyle(element: unknown): Record<string, string>;
declare const window: { Chart: { getChart(canvas: Canvas): { data: { labels: string[]; datasets: Dataset[] } } } };

/** The spend chart's days and datasets, as Chart.js draws them. */
export function chartOf(page: Page): Promise<{ labels: string[]; datasets: Dataset[] }> {
  return page.evaluate(() => {
    const chart = window.Chart.getChart(document.querySelector('#spend-chart'));
    return {
      labels: chart.data.labels,
      datasets: chart.data.datasets.map(({ label, data, borderDash, fill, yAxisID }) => ({
        label,
        data,
        borderDash,
        fill,
        yAxisID,
      })),
    };
  });
}

/** The spend chart canvas's width and how many of its pixels are painted. */
export function chartPaint(page: Page): Promise<{ painted: number; width: number }> {
  return page.evaluate(() => {
    const canvas = document.querySelector('#spend-chart');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
    return { painted, width: canvas.width };
  });
}

/** Each element `selector` matches: its data attributes and its children's text. */
export function shownRows(page: Page, selector: string): Promise<{ data: Record<string, string>; cells: string[] }[]> {
  return page.$$eval(selector, (rows) =>
    (rows as unknown as Row[]).map((row) => ({
      data: { ...row.dataset },
      cells: Array.from(row.children).map((cell) => cell.textContent),
    })),
  );
}

/** Each row of the team table: its team and the first line of each of its cells, by column. */
export function shownTeamRows(page: Page): Promise<({ team: string } & Record<string, string>)[]> {
  return page.$$eval('#teams tbody tr', (trs) =>
    (trs as unknown as Row[]).map((tr) => ({
      team: tr.dataset.team!,
      ...Object.fromEntries(
        Array.from(tr.querySelectorAll('td[data-column]')).map((td) => [td.dataset.column!, td.firstChild.textContent]),
      ),
    })),
  ) as Promise<({ team: string } & Record<string, string>)[]>;
}

/** The computed value of the CSS `property` (camelCase) of the element `locator` finds. */
export function computedStyle(locator: Locator, property: string): Promise<string> {
  return locator.evaluate((element, name) => getComputedStyle(element)[name]!, property);
}
