import { useEffect, useState } from "react";
import { following, get, post } from "../api.js";
import { Panel } from "../Panel.jsx";
import { usd } from "../format.js";

// Re-runs the router's decision function over the recorded requests of the range with an edited
// policy: a tier's default strategy, its downgrade list, rules switched off.
export function WhatIfPanel({ filters }) {
  const [policy, setPolicy] = useState({ loading: true, data: null, error: null });
  const [tier, setTier] = useState("");
  const [strategy, setStrategy] = useState("");
  const [downgrade, setDowngrade] = useState(null);
  const [disabled, setDisabled] = useState([]);
  const [result, setResult] = useState({ loading: false, data: null, error: null });

  useEffect(() => {
    get("/api/whatif/policy")
      .then((data) => {
        setPolicy({ loading: false, data, error: null });
        const first = Object.keys(data.tiers).sort()[0] ?? "";
        setTier(first);
      })
      .catch((error) => setPolicy({ loading: false, data: null, error }));
  }, []);

  const spec = policy.data?.tiers?.[tier];
  useEffect(() => {
    if (!spec) return;
    setStrategy(spec.defaultStrategy);
    setDowngrade(spec.downgradeModels ?? []);
  }, [tier, policy.data]);

  function run() {
    const edit = {};
    if (strategy !== spec.defaultStrategy) edit.defaultStrategy = strategy;
    const same = JSON.stringify([...downgrade].sort()) === JSON.stringify([...(spec.downgradeModels ?? [])].sort());
    if (!same) edit.downgradeModels = downgrade;
    setResult({ loading: true, data: null, error: null, progress: null });
    const body = {
      from: filters.from, to: filters.to, tenant: filters.tenant || undefined, tier: filters.tier || undefined,
      policy: { tiers: Object.keys(edit).length ? { [tier]: edit } : {}, disableRules: disabled },
    };
    // A range whose days have no stored summaries yet is summarised across calls (each keeps its
    // days): Dashboard.Warming says how many tenant-days are done, and the run goes on.
    following(() => post("/api/whatif", body),
      (progress) => setResult({ loading: true, data: null, error: null, progress }))
      .then((data) => setResult({ loading: false, data, error: null }))
      .catch((error) => setResult({ loading: false, data: null, error }));
  }

  const toggle = (list, set, value) => set(list.includes(value) ? list.filter((v) => v !== value) : [...list, value]);
  const r = result.data;
  return (
    <Panel id="whatif" title="What-if: routing policy" state={policy} empty={false} wide>
      {policy.data && (
        <div className="whatif">
          <form onSubmit={(e) => { e.preventDefault(); run(); }} data-form="whatif">
            <label>Tier
              <select value={tier} onChange={(e) => setTier(e.target.value)} data-whatif="tier">
                {Object.keys(policy.data.tiers).sort().map((t) => <option key={t} value={t}>{t}</option>)}
              </select>
            </label>
            <label>Default strategy
              <select value={strategy} onChange={(e) => setStrategy(e.target.value)} data-whatif="strategy">
                {policy.data.strategies.map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            </label>
            <fieldset>
              <legend>Downgrade models (over budget)</legend>
              {policy.data.models.map((m) => (
                <label key={m} className="check">
                  <input type="checkbox" checked={downgrade?.includes(m) ?? false} data-downgrade={m}
                    onChange={() => toggle(downgrade, setDowngrade, m)} /> {m}
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend>Rules switched off</legend>
              {policy.data.rules.map((name) => (
                <label key={name} className="check">
                  <input type="checkbox" checked={disabled.includes(name)} data-rule={name}
                    onChange={() => toggle(disabled, setDisabled, name)} /> {name}
                </label>
              ))}
            </fieldset>
            <button type="submit" disabled={result.loading} data-action="whatif">
              {result.loading ? "Running…" : "Run what-if"}
            </button>
            {result.loading && result.progress && (
              <span className="progress" data-whatif-progress={`${result.progress.done}/${result.progress.total}`}>
                {" "}summarising the range: {result.progress.done} of {result.progress.total} tenant-days
              </span>
            )}
          </form>
          <div className="whatif-result" data-whatif-result={r ? "ready" : result.error ? "error" : "none"}>
            {result.error && <div className="state error">Could not run: <code>{result.error.errorType}</code> {result.error.message}</div>}
            {!r && !result.error && <div className="state empty">Pick an edit and run it over the range.</div>}
            {r && (
              <>
                <p className="headline" data-difference={r.totals.difference.usd}>
                  {r.totals.difference.picoUSD <= 0 ? "Saving" : "Extra cost"} {usd({ usd: String(Math.abs(Number(r.totals.difference.usd))) })}
                  {" "}on {usd(r.totals.actual)} · quality {r.totals.actualQuality.toFixed(3)} → {r.totals.whatIfQuality.toFixed(3)}
                  {" "}· {r.totals.changed} of {r.totals.calls} calls move{r.totals.rejected ? `, ${r.totals.rejected} refused` : ""}
                </p>
                <p className="note">{r.changes.join("; ") || "no change"}</p>
                <table className="compact" data-table="whatif">
                  <thead><tr><th>tenant</th><th>category</th><th>calls</th><th>moved</th><th>actual</th><th>what-if</th>
                    <th>difference</th><th>quality</th><th>moves</th></tr></thead>
                  <tbody>
                    {r.groups.map((g) => (
                      <tr key={`${g.tenant}/${g.category}`} data-group={`${g.tenant}/${g.category}`}>
                        <td>{g.tenant}</td><td>{g.category}</td><td>{g.totals.calls}</td><td>{g.totals.changed}</td>
                        <td>{usd(g.totals.actual)}</td><td>{usd(g.totals.whatIf)}</td>
                        <td data-usd={g.totals.difference.usd}>{usd(g.totals.difference)}</td>
                        <td>{g.totals.actualQuality.toFixed(3)} → {g.totals.whatIfQuality.toFixed(3)}</td>
                        <td>{g.moves.slice(0, 2).map((m) => `${m.from}→${m.to} ×${m.calls}`).join(", ")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </div>
        </div>
      )}
    </Panel>
  );
}
