import { useEffect, useRef } from "react";
import Chart from "chart.js/auto";

// Every chart on the page, by name, so a browser test can read exactly what Chart.js draws.
window.dashboardCharts = window.dashboardCharts || {};

// One Chart.js (v3) chart on a canvas: created once, its data and options replaced on change.
export function ChartCanvas({ name, type, data, options, height = 240 }) {
  const canvas = useRef(null);
  const chart = useRef(null);

  useEffect(() => {
    chart.current = new Chart(canvas.current, {
      type,
      data,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...options },
    });
    window.dashboardCharts[name] = chart.current;
    return () => {
      chart.current.destroy();
      chart.current = null;
      delete window.dashboardCharts[name];
    };
    // The chart type never changes for a name.
  }, [name, type]);

  useEffect(() => {
    if (!chart.current) return;
    chart.current.data = data;
    chart.current.options = { responsive: true, maintainAspectRatio: false, animation: false, ...options };
    chart.current.update();
  }, [data, options]);

  return (
    <div className="chart" style={{ height }}>
      <canvas ref={canvas} data-chart={name} />
    </div>
  );
}
