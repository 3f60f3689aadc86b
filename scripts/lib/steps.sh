# Steps of a long script (scripts/test, .ci/run), sourced. Each step's output goes to a log file under
# .run/steps/ and the terminal gets one line when it ends, with its time, or the log's tail when it
# fails. CI keeps only part of what a run prints, so a build's thousands of progress lines must not
# crowd out the line that says what failed. Every step has a wall-clock limit: a hang fails the
# step, with the stacks of what hung, instead of running into CI's own limit.

STEPS_DIR=${STEPS_DIR:-.run/steps}
STEPS_SUMMARY=()

STEPS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# step NAME LIMIT_SECONDS COMMAND...: runs COMMAND with its output in $STEPS_DIR/NAME.log.
# With STEP_STALL=S set, a step whose log has not grown for S seconds is a hang too. Before a hung
# step is killed, the stack of every thread of every process under it goes to NAME.stacks (gdb), so
# the failure says where it waited, not only that it did.
step() {
    local name=$1 limit=$2
    shift 2
    mkdir -p "$STEPS_DIR"
    local log=$STEPS_DIR/$name.log stacks=$STEPS_DIR/$name.stacks start=$SECONDS rc=0 hung=
    local stall=${STEP_STALL:-0}
    echo "== $name (limit ${limit} s, log $log)"
    rm -f "$stacks"
    # The backstop; the loop below dumps the stacks and stops the tree first.
    timeout --kill-after=30 "$((limit + 60))" "$@" >"$log" 2>&1 &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 2
        local now age
        now=$(date +%s)
        age=$((now - $(stat -c %Y "$log" 2>/dev/null || echo "$now")))
        if [ $((SECONDS - start)) -ge "$limit" ]; then
            hung="did not finish within $limit s"
        elif [ "$stall" -gt 0 ] && [ "$age" -ge "$stall" ]; then
            hung="printed nothing for $age s"
        fi
        if [ -n "$hung" ] && kill -0 "$pid" 2>/dev/null; then
            python3 "$STEPS_LIB/process_tree.py" "$pid" --stacks "$stacks" --kill || true
            break
        fi
        hung=
    done
    wait "$pid" || rc=$?
    local took=$((SECONDS - start))
    if [ -z "$hung" ] && [ $rc -eq 0 ]; then
        STEPS_SUMMARY+=("$(printf '%-22s ok      %5d s' "$name" "$took")")
        return 0
    fi
    if [ -n "$hung" ] || [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        [ $rc -ne 0 ] || rc=124
        STEPS_SUMMARY+=("$(printf '%-22s HUNG    %5d s (%s)' "$name" "$took" "${hung:-timeout}")")
        echo "!! $name hung: ${hung:-timeout}; the end of its log:"
    else
        STEPS_SUMMARY+=("$(printf '%-22s FAILED  %5d s (rc %d)' "$name" "$took" "$rc")")
        echo "!! $name failed (rc $rc) after $took s; the end of its log:"
    fi
    tail -n "${STEPS_TAIL:-150}" "$log"
    if [ -s "$stacks" ]; then
        echo "!! the stacks of its processes when it was stopped ($stacks, first ${STEPS_STACKS:-250} lines):"
        # gdb's own chatter (thread creation, missing debug info) is noise here.
        grep -v -E '^\[(New|Thread|Inferior) |^warning: |^Download|^Using host|No such file or directory|^$' "$stacks" | head -n "${STEPS_STACKS:-250}"
    fi
    return $rc
}

steps_summary() {
    [ ${#STEPS_SUMMARY[@]} -eq 0 ] && return 0
    echo "== steps (${SECONDS} s in all)"
    printf '   %s\n' "${STEPS_SUMMARY[@]}"
}
