# Steps of a long script (scripts/test, .ci/run), sourced. Each step's output goes to a log file under
# .run/steps/ and the terminal gets one line when it ends, with its time, or the log's tail when it
# fails. CI keeps only part of what a run prints, so a build's thousands of progress lines must not
# crowd out the line that says what failed. Every step has a wall-clock limit: a hang fails the
# step (timeout(1) signals the step's whole process group) instead of running into CI's own limit.

STEPS_DIR=${STEPS_DIR:-.run/steps}
STEPS_SUMMARY=()

# step NAME LIMIT_SECONDS COMMAND...: runs COMMAND with its output in $STEPS_DIR/NAME.log.
step() {
    local name=$1 limit=$2
    shift 2
    mkdir -p "$STEPS_DIR"
    local log=$STEPS_DIR/$name.log start=$SECONDS rc=0
    echo "== $name (limit ${limit} s, log $log)"
    timeout --kill-after=30 "$limit" "$@" >"$log" 2>&1 || rc=$?
    local took=$((SECONDS - start))
    if [ $rc -eq 0 ]; then
        STEPS_SUMMARY+=("$(printf '%-22s ok      %5d s' "$name" "$took")")
        return 0
    fi
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        STEPS_SUMMARY+=("$(printf '%-22s TIMEOUT %5d s (limit %d s)' "$name" "$took" "$limit")")
        echo "!! $name did not finish within $limit s; the end of its log:"
    else
        STEPS_SUMMARY+=("$(printf '%-22s FAILED  %5d s (rc %d)' "$name" "$took" "$rc")")
        echo "!! $name failed (rc $rc) after $took s; the end of its log:"
    fi
    tail -n "${STEPS_TAIL:-150}" "$log"
    return $rc
}

steps_summary() {
    [ ${#STEPS_SUMMARY[@]} -eq 0 ] && return 0
    echo "== steps (${SECONDS} s in all)"
    printf '   %s\n' "${STEPS_SUMMARY[@]}"
}
