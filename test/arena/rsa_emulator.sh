# SPDX-License-Identifier: MIT
# Sourced by test/arena/search.sh and test/stack/stack_check.sh:
#
#   . test/arena/rsa_emulator.sh; start_rsa_emulator NAME
#
# starts rsa_emulator.py (an RSA-2048 root -> intermediate -> leaf chain)
# in a new temporary directory, stopped and removed when the script exits.
# Sets WORK, TOKEN, EMU_URL and EMU_CA.

start_rsa_emulator() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/wecom-$1.XXXXXX")
    TOKEN=$1-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    EMU_PID=""
    trap 'rsa_emulator_stop' EXIT INT TERM
    python3 "$RSA_EMULATOR_DIR/rsa_emulator.py" --state-dir "$WORK/emu" --token "$TOKEN" \
        > "$WORK/emu.out" 2>&1 &
    EMU_PID=$!
    _i=0
    while [ ! -s "$WORK/emu/port" ]; do
        _i=$((_i + 1))
        [ $_i -le 300 ] && kill -0 "$EMU_PID" 2>/dev/null || { cat "$WORK/emu.out" >&2; exit 1; }
        sleep 0.1
    done
    EMU_URL=$(cat "$WORK/emu/url")
    EMU_CA=$WORK/emu/ca.pem
}

rsa_emulator_stop() {
    [ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
    rm -rf "$WORK"
}
