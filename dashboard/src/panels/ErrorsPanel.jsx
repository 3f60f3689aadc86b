import { useMemo } from "react";
import { ChartCanvas } from "../ChartCanvas.jsx";
import { Panel } from "../Panel.jsx";
import { percent } from "../format.js";

export function ErrorsPanel({ state }) {
  const errors = state.data?.errors;
  const data = useMemo(() => {
    if (!errors) return null;
    return {
      labels: errors.types.map((t) => t.errorType),
      datasets: [{ label: "calls", data: errors.types.map((t) => t.count), backgroundColor: "#c0392b" }],
    };
  }, [errors]);
  return (
    <Panel id="errors" title="Errors by type" state={state} empty={!errors || errors.calls === 0}
      extra={errors && (
        <span className="totals">{errors.failed} failed of {errors.calls} calls · {percent(errors.errorRate)}</span>
      )}>
      {data && (errors.types.length === 0
        ? <div className="state empty">No errors in this range.</div>
        : <ChartCanvas name="errors" type="bar" data={data}
            options={{ indexAxis: "y", scales: { x: { beginAtZero: true } }, plugins: { legend: { display: false } } }} />)}
    </Panel>
  );
}
