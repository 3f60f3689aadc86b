// A titled card with the three states every panel has: loading, error and empty.
export function Panel({ id, title, extra, state, empty, children, wide }) {
  let body;
  if (state.error) {
    body = (
      <div className="state error" role="alert">
        Could not load: <code>{state.error.errorType ?? "Error"}</code> {state.error.message}
      </div>
    );
  } else if (state.loading && !state.data) {
    const p = state.progress;
    body = (
      <div className="state loading" data-progress={p ? `${p.done}/${p.total}` : ""}>
        {p ? `Loading… ${p.done} of ${p.total} buckets read (a cold range takes a few calls)` : "Loading…"}
      </div>
    );
  } else if (empty) {
    body = <div className="state empty">No data in this range.</div>;
  } else {
    body = children;
  }
  return (
    <section className={wide ? "panel wide" : "panel"} id={id} data-panel={id}
      data-state={state.error ? "error" : state.loading && !state.data ? "loading" : empty ? "empty" : "ready"}>
      <header>
        <h2>{title}</h2>
        {extra}
      </header>
      {body}
    </section>
  );
}
