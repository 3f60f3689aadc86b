import { useCallback, useEffect, useState } from "react";
import { get } from "../api.js";
import { Panel } from "../Panel.jsx";
import { clock, ms, usd } from "../format.js";

const STATUSES = ["", "succeeded", "failed", "fallback", "degraded", "rejected"];

// Recent activity from raw records, newest first, with its own filters and cursor paging; a click
// on a row opens every step of that request.
export function ActivityPanel({ filters, refreshTick, models }) {
  const [status, setStatus] = useState("");
  const [model, setModel] = useState("");
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const [selected, setSelected] = useState(null);

  const params = { from: filters.from, to: filters.to, tenant: filters.tenant, tier: filters.tier, status, model,
    limit: 25 };

  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    get("/api/activity", params)
      .then((data) => live && setState({ loading: false, data, error: null }))
      .catch((error) => live && setState({ loading: false, data: null, error }));
    return () => { live = false; };
  }, [filters.from, filters.to, filters.tenant, filters.tier, status, model, refreshTick]);

  const more = useCallback(() => {
    const cursor = state.data?.nextCursor;
    if (!cursor) return;
    get("/api/activity", { ...params, cursor })
      .then((page) => setState((s) => ({ ...s, data: { entries: [...s.data.entries, ...page.entries],
        nextCursor: page.nextCursor } })))
      .catch((error) => setState((s) => ({ ...s, error })));
  }, [state.data]);

  const entries = state.data?.entries ?? [];
  const picker = (
    <span className="filters-inline">
      <select value={status} onChange={(e) => setStatus(e.target.value)} aria-label="status" data-filter="status">
        {STATUSES.map((s) => <option key={s} value={s}>{s || "any status"}</option>)}
      </select>
      <select value={model} onChange={(e) => setModel(e.target.value)} aria-label="model" data-filter="model">
        <option value="">any model</option>
        {models.map((m) => <option key={m} value={m}>{m}</option>)}
      </select>
    </span>
  );
  return (
    <Panel id="activity" title="Recent activity" state={state} extra={picker} empty={entries.length === 0} wide>
      <table className="activity" data-table="activity">
        <thead>
          <tr><th>time</th><th>request</th><th>tenant</th><th>step</th><th>model</th><th>status</th>
            <th>latency</th><th>tokens</th><th>cost</th></tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={`${e.requestId}/${e.step}/${e.attempt}/${e.timestamp}`} onClick={() => setSelected(e.requestId)}
              className={e.status === "failed" ? "failed" : ""} data-request={e.requestId}>
              <td>{clock(e.timestamp)}</td><td className="mono">{e.requestId}</td><td>{e.tenant}</td>
              <td>{e.step}{e.attempt ? ` #${e.attempt}` : ""}</td><td>{e.model ?? "–"}</td>
              <td>{e.status}{e.errorType ? ` (${e.errorType})` : ""}</td><td>{ms(e.latencyMs)}</td>
              <td>{e.tokensInput != null ? `${e.tokensInput}/${e.tokensOutput}` : "–"}</td><td>{usd(e.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {state.data?.nextCursor && <button className="more" onClick={more} data-action="more">Load older</button>}
      {selected && <RequestDetail id={selected} onClose={() => setSelected(null)} />}
    </Panel>
  );
}

function RequestDetail({ id, onClose }) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  useEffect(() => {
    let live = true;
    get(`/api/requests/${encodeURIComponent(id)}`)
      .then((data) => live && setState({ loading: false, data, error: null }))
      .catch((error) => live && setState({ loading: false, data: null, error }));
    return () => { live = false; };
  }, [id]);
  const d = state.data;
  return (
    <div className="detail" data-detail={id}>
      <header>
        <h3>Request <span className="mono">{id}</span></h3>
        <button onClick={onClose} aria-label="close">×</button>
      </header>
      {state.error && <div className="state error">Could not load: {state.error.message}</div>}
      {state.loading && <div className="state loading">Loading…</div>}
      {d && (
        <>
          <p>{d.tenant} ({d.tier ?? "no tier"}) · {d.steps.length} steps · {ms(d.spanMs)} · total {usd(d.total)}</p>
          <table className="compact">
            <thead><tr><th>start</th><th>step</th><th>model</th><th>backend</th><th>status</th><th>latency</th>
              <th>tokens in/out</th><th>cost</th></tr></thead>
            <tbody>
              {d.steps.map((s) => (
                <tr key={`${s.step}/${s.invocationId}/${s.attempt}`}>
                  <td>{clock(s.timestamp)}</td><td>{s.step}{s.attempt ? ` #${s.attempt}` : ""}</td>
                  <td>{s.model ?? "–"}</td><td>{s.backend}</td>
                  <td>{s.status}{s.errorType ? ` (${s.errorType})` : ""}</td><td>{ms(s.latency.totalMs)}</td>
                  <td>{s.tokens ? `${s.tokens.input}/${s.tokens.output}` : "–"}</td>
                  <td>{s.cost ? usd({ usd: (s.cost.totalPicoUSD / 1e12).toString() }) : "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
