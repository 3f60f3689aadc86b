import { useMemo, useState } from "react";
import { ChartCanvas } from "../ChartCanvas.jsx";
import { Panel } from "../Panel.jsx";
import { ms } from "../format.js";

export function LatencyPanel({ state }) {
  const [by, setBy] = useState("backend");
  const latency = by === "backend" ? state.data?.latencyByBackend : state.data?.latencyByModel;
  const data = useMemo(() => {
    if (!latency) return null;
    const bars = (label, key, colour) => ({ label, data: latency.groups.map((g) => g[key]), backgroundColor: colour });
    return {
      labels: latency.groups.map((g) => g.key),
      datasets: [bars("p50", "p50Ms", "#7fb3e0"), bars("p90", "p90Ms", "#245a8d"), bars("p99", "p99Ms", "#12304d")],
    };
  }, [latency]);
  const picker = (
    <span className="toggle">
      {["backend", "model"].map((b) => (
        <button key={b} className={b === by ? "on" : ""} onClick={() => setBy(b)} data-latency-by={b}>{b}</button>
      ))}
    </span>
  );
  return (
    <Panel id="latency" title="Latency percentiles" state={state} extra={picker}
      empty={!latency || latency.groups.length === 0}>
      {data && (
        <>
          <ChartCanvas name="latency" type="bar" data={data}
            options={{ scales: { y: { beginAtZero: true, title: { display: true, text: "ms" } } },
              plugins: { legend: { position: "bottom" } } }} />
          <p className="note">
            Percentiles from merged log-linear histograms, within {(latency.relativeError * 100).toFixed(2)} % of the
            exact value. Slowest p99: {ms(Math.max(...latency.groups.map((g) => g.p99Ms)))}.
          </p>
        </>
      )}
    </Panel>
  );
}
