import { useMemo } from "react";
import { ChartCanvas } from "../ChartCanvas.jsx";
import { Panel } from "../Panel.jsx";
import { colour, time, usd, usdNumber } from "../format.js";

export function CostPanel({ state, costBy, setCostBy }) {
  const cost = state.data?.cost;
  const data = useMemo(() => {
    if (!cost) return null;
    return {
      labels: cost.days.map((d) => time(d, "day")),
      datasets: cost.series.map((s) => ({
        label: s.key, data: s.points.map(usdNumber), backgroundColor: colour(s.key), stack: "cost",
      })),
    };
  }, [cost]);
  const picker = (
    <span className="toggle">
      {["model", "tenant", "backend"].map((b) => (
        <button key={b} className={b === costBy ? "on" : ""} onClick={() => setCostBy(b)} data-cost-by={b}>{b}</button>
      ))}
    </span>
  );
  return (
    <Panel id="cost" title="Cost breakdown" state={state} extra={picker}
      empty={!cost || cost.groups.length === 0}>
      {data && (
        <>
          <ChartCanvas name="cost" type="bar" data={data}
            options={{ scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: "USD" } } },
              plugins: { legend: { position: "bottom" } } }} />
          <table className="compact" data-table="cost">
            <thead><tr><th>{cost.by}</th><th>calls</th><th>total</th><th>model</th><th>compute</th></tr></thead>
            <tbody>
              {cost.groups.slice(0, 8).map((g) => (
                <tr key={g.key}>
                  <td>{g.key}</td><td>{g.count}</td><td data-usd={g.total.usd}>{usd(g.total)}</td>
                  <td>{usd(g.model)}</td><td>{usd(g.compute)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot><tr><td>total</td><td></td><td data-usd={cost.total.usd}>{usd(cost.total)}</td><td></td><td></td></tr></tfoot>
          </table>
        </>
      )}
    </Panel>
  );
}
