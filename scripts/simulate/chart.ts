/**
 * Load vs capacity over time, as SVG, with Vega-Lite compiled to Vega and rendered headless (no browser, no
 * canvas: View.toSVG()). One chart per trace: the demand in shards at 100 % utilisation, the `ideal` count (the
 * demand at the target utilisation, scripts/simulate/oracle.ts), each policy's shard count, and the minutes each
 * policy throttled.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { SimulationResult } from './model';

/** Chart resolution: 5-minute buckets (the maximum within each), enough for a 3-day trace. */
const BUCKET_MINUTES = 5;

interface Row {
  hour: number;
  series: string;
  value: number;
}

function rows(
  results: SimulationResult[],
  reference: SimulationResult | undefined,
): { lines: Row[]; throttled: Row[] } {
  const lines: Row[] = [];
  const throttled: Row[] = [];
  const first = results[0]!;
  for (let start = 0; start < first.minutes.length; start += BUCKET_MINUTES) {
    const hour = start / 60;
    const bucket = (result: SimulationResult) => result.minutes.slice(start, start + BUCKET_MINUTES);
    lines.push({
      hour,
      series: 'demand (shards at 100%)',
      value: Math.max(...bucket(first).map((m) => m.demandShards)),
    });
    if (reference) {
      lines.push({
        hour,
        series: `${reference.controller}: shards`,
        value: Math.max(...bucket(reference).map((m) => m.shards)),
      });
    }
    for (const result of results) {
      lines.push({
        hour,
        series: `${result.controller}: shards`,
        value: Math.max(...bucket(result).map((m) => m.shards)),
      });
      if (bucket(result).some((m) => m.throttled))
        throttled.push({ hour, series: result.controller, value: 1 });
    }
  }
  return { lines, throttled };
}

export async function renderChart(
  title: string,
  subtitle: string[],
  results: SimulationResult[],
  /** Drawn as a line only (the oracle's `ideal`: what the load needs at the target utilisation). */
  reference?: SimulationResult,
): Promise<string> {
  const { lines, throttled } = rows(results, reference);
  const hours = results[0]!.minutes.length / 60;
  const series = [
    'demand (shards at 100%)',
    ...(reference ? [`${reference.controller}: shards`] : []),
    ...results.map((result) => `${result.controller}: shards`),
  ];
  const colours = ['#9aa0a6', ...(reference ? ['#a142f4'] : []), '#1a73e8', '#e8710a', '#188038'];
  const dashes = [[2, 2], ...(reference ? [[1, 2]] : []), [1, 0], [6, 3], [1, 0]];
  const x = {
    field: 'hour',
    type: 'quantitative' as const,
    title: 'hours',
    scale: { domain: [0, hours], nice: false },
    axis: { values: Array.from({ length: Math.floor(hours / 6) + 1 }, (_, i) => i * 6) },
  };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle, anchor: 'start', fontSize: 15, subtitleFontSize: 11 },
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null } },
    vconcat: [
      {
        width: 880,
        height: 300,
        data: { values: lines },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'shards' },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: series, range: colours.slice(0, series.length) },
            // Outside the plot: headless rendering only estimates text widths, a boxed legend inside could hide lines.
            legend: { orient: 'top', direction: 'horizontal', labelLimit: 400, symbolStrokeWidth: 2 },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: series, range: dashes.slice(0, series.length) },
          },
        },
      },
      {
        width: 880,
        height: 22 * results.length,
        title: {
          text: 'throttled (5-minute buckets with any throttled minute)',
          fontSize: 11,
          anchor: 'start',
        },
        data: {
          values: throttled.length > 0 ? throttled : [{ hour: 0, series: results[0]!.controller, value: 0 }],
        },
        mark: { type: 'tick', thickness: 2, color: '#d93025' },
        encoding: {
          x,
          y: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: results.map((r) => r.controller) },
          },
          opacity: {
            field: 'value',
            type: 'quantitative',
            legend: null,
            scale: { domain: [0, 1], range: [0, 1] },
          },
        },
      },
    ],
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
