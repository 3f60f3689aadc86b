import { useMemo } from "react";
import { ChartCanvas } from "../ChartCanvas.jsx";
import { Panel } from "../Panel.jsx";
import { time } from "../format.js";

export function VolumePanel({ state }) {
  const volume = state.data?.volume;
  const data = useMemo(() => {
    if (!volume) return null;
    const line = (label, key, colour) => ({
      label, data: volume.points.map((p) => p[key]), borderColor: colour, backgroundColor: colour,
      pointRadius: volume.points.length > 60 ? 0 : 2, tension: 0.2,
    });
    return {
      labels: volume.points.map((p) => time(p.start, volume.bucket)),
      datasets: [line("requests", "requests", "#245a8d"), line("calls", "calls", "#3a9d5d"),
        line("errors", "errors", "#c0392b")],
    };
  }, [volume]);
  const totals = volume?.totals;
  return (
    <Panel id="volume" title="Volume" state={state} empty={!totals || totals.calls === 0}
      extra={totals && (
        <span className="totals" data-totals={JSON.stringify(totals)}>
          {totals.requests} requests · {totals.calls} calls · {totals.errors} errors · per {volume.bucket}
        </span>
      )}>
      {data && <ChartCanvas name="volume" type="line" data={data}
        options={{ scales: { y: { beginAtZero: true } }, plugins: { legend: { position: "bottom" } } }} />}
    </Panel>
  );
}
