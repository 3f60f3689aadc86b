import { useCallback, useEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { following, get } from "./api.js";
import { clock } from "./format.js";
import { ActivityPanel } from "./panels/ActivityPanel.jsx";
import { CostPanel } from "./panels/CostPanel.jsx";
import { ErrorsPanel } from "./panels/ErrorsPanel.jsx";
import { LatencyPanel } from "./panels/LatencyPanel.jsx";
import { ModelsPanel } from "./panels/ModelsPanel.jsx";
import { VolumePanel } from "./panels/VolumePanel.jsx";
import { WhatIfPanel } from "./panels/WhatIfPanel.jsx";

const RANGES = { "1h": 3_600_000, "6h": 21_600_000, "24h": 86_400_000, "7d": 604_800_000, "30d": 2_592_000_000 };
const REFRESH_MS = 30_000;

// The range comes from the URL (`?from=&to=` in epoch ms, or `?range=7d`), so a view can be shared
// and a test can pin it; tenant and tier too.
function initialFilters() {
  const q = new URLSearchParams(window.location.search);
  const from = Number(q.get("from"));
  const to = Number(q.get("to"));
  const fixed = Number.isFinite(from) && Number.isFinite(to) && from > 0 && to > from;
  return {
    range: fixed ? "custom" : RANGES[q.get("range")] ? q.get("range") : "24h",
    fixedFrom: fixed ? from : null, fixedTo: fixed ? to : null,
    tenant: q.get("tenant") ?? "", tier: q.get("tier") ?? "",
  };
}

function resolve(choice, now) {
  if (choice.range === "custom") return { from: choice.fixedFrom, to: choice.fixedTo };
  // Whole minutes, so refreshes line up with the rollups.
  const to = Math.ceil(now / 60_000) * 60_000;
  return { from: to - RANGES[choice.range], to };
}

function App() {
  const [choice, setChoice] = useState(initialFilters);
  const [now, setNow] = useState(Date.now());
  const [autoRefresh, setAutoRefresh] = useState(true);
  const [costBy, setCostBy] = useState("model");
  const [summary, setSummary] = useState({ loading: true, data: null, error: null });
  const [dimensions, setDimensions] = useState({ tenants: [], tiers: [], models: [] });
  const [updated, setUpdated] = useState(null);
  const [tick, setTick] = useState(0);

  const { from, to } = resolve(choice, now);
  const filters = useMemo(() => ({ from, to, tenant: choice.tenant, tier: choice.tier }),
    [from, to, choice.tenant, choice.tier]);

  useEffect(() => {
    let live = true;
    setSummary((s) => ({ ...s, loading: true, progress: null }));
    following(() => get("/api/summary", { ...filters, costBy }),
      (progress) => live && setSummary((s) => ({ ...s, progress })))
      .then((data) => {
        if (!live) return;
        setSummary({ loading: false, data, error: null });
        setUpdated(Date.now());
      })
      .catch((error) => live && setSummary({ loading: false, data: null, error }));
    return () => { live = false; };
  }, [filters, costBy, tick]);

  // After the summary: on a cold range both read the same day buckets, and the summary's reading
  // fills the cache the dimensions are then answered from.
  const summaryLoaded = updated !== null;
  useEffect(() => {
    if (!summaryLoaded) return;
    following(() => get("/api/dimensions", { from, to })).then(setDimensions).catch(() => {});
  }, [from, to, tick, summaryLoaded]);

  const refresh = useCallback(() => {
    setNow(Date.now());
    setTick((t) => t + 1);
  }, []);

  useEffect(() => {
    if (!autoRefresh) return undefined;
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  }, [autoRefresh, refresh]);

  const set = (patch) => setChoice((c) => ({ ...c, ...patch }));
  const tiers = dimensions.tiers.filter((t) => t !== "-");
  return (
    <>
      <header className="top">
        <h1>Switchyard</h1>
        <div className="filters">
          <label>Range
            <select value={choice.range} onChange={(e) => set({ range: e.target.value })} data-filter="range">
              {choice.range === "custom" && <option value="custom">custom</option>}
              {Object.keys(RANGES).map((r) => <option key={r} value={r}>last {r}</option>)}
            </select>
          </label>
          <label>Tenant
            <select value={choice.tenant} onChange={(e) => set({ tenant: e.target.value })} data-filter="tenant">
              <option value="">all tenants</option>
              {dimensions.tenants.map((t) => <option key={t.tenant} value={t.tenant}>{t.tenant}</option>)}
            </select>
          </label>
          <label>Tier
            <select value={choice.tier} onChange={(e) => set({ tier: e.target.value })} data-filter="tier">
              <option value="">all tiers</option>
              {tiers.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={autoRefresh} onChange={(e) => setAutoRefresh(e.target.checked)} />
            auto-refresh
          </label>
          <button onClick={refresh} data-action="refresh">Refresh</button>
          <span className="updated" data-updated={updated ?? ""}>
            {summary.loading
              ? summary.progress
                ? `reading the range: ${summary.progress.done} of ${summary.progress.total} buckets…`
                : "updating…"
              : updated ? `last updated ${clock(updated)}` : "not loaded"}
          </span>
        </div>
        <p className="range">{clock(from)} → {clock(to)} · {new Date(from).toISOString().slice(0, 10)}</p>
      </header>
      <main className="grid">
        <VolumePanel state={summary} />
        <LatencyPanel state={summary} />
        <CostPanel state={summary} costBy={costBy} setCostBy={setCostBy} />
        <ModelsPanel state={summary} />
        <ErrorsPanel state={summary} />
        <ActivityPanel filters={filters} refreshTick={tick} models={dimensions.models} />
        <WhatIfPanel filters={filters} />
      </main>
    </>
  );
}

createRoot(document.getElementById("root")).render(<App />);
