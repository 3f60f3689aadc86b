import { useMemo } from "react";
import { ChartCanvas } from "../ChartCanvas.jsx";
import { Panel } from "../Panel.jsx";
import { colour, percent } from "../format.js";

export function ModelsPanel({ state }) {
  const models = state.data?.models;
  const data = useMemo(() => {
    if (!models) return null;
    return {
      labels: models.models.map((m) => m.model),
      datasets: [{ label: "calls", data: models.models.map((m) => m.calls),
        backgroundColor: models.models.map((m) => colour(m.model)) }],
    };
  }, [models]);
  return (
    <Panel id="models" title="Model usage" state={state} empty={!models || models.totalCalls === 0}
      extra={models && <span className="totals">{models.totalCalls} model calls</span>}>
      {data && (
        <div className="split">
          <ChartCanvas name="models" type="doughnut" data={data} height={220}
            options={{ plugins: { legend: { display: false } } }} />
          <ul className="legend">
            {models.models.map((m) => (
              <li key={m.model}><span className="swatch" style={{ background: colour(m.model) }} />
                {m.model} <b>{percent(m.share)}</b></li>
            ))}
          </ul>
        </div>
      )}
    </Panel>
  );
}
