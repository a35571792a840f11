/** Apache ECharts, only the parts the views use, rendered as SVG (crisp, and what the server can render too). */
import * as echarts from 'echarts/core';
import { BarChart, FunnelChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, FunnelChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, SVGRenderer]);

export type Chart = echarts.ECharts;

export function chart(el: HTMLElement, option: echarts.EChartsCoreOption): Chart {
  const c = echarts.init(el, undefined, { renderer: 'svg' });
  c.setOption({ animation: false, textStyle: { fontFamily: 'system-ui, sans-serif' }, ...option });
  new ResizeObserver(() => c.resize()).observe(el);
  return c;
}

export const compact = (v: number) => (Math.abs(v) >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : Math.abs(v) >= 1e3 ? `${Math.round(v / 1e3)}k` : String(Math.round(v)));
