# record.sh's cut of a serial log: one file per scenario, `<name>.txt`, dom0's lines between its
# markers, without Xen's, guests' and the kernel's. Those lines can come in the middle of one of
# dom0's (libxl writes a message in several writes): the part before them waits for the rest of its
# line, on the next line dom0 prints.
# awk -v o=OUTDIR -v sha=SERIAL_SHA256 -v list=SCENARIOS -f split-serial.awk SERIAL.LOG (CRs removed)
BEGIN { system("mkdir -p " o); while ((getline line < list) > 0) { n++; name[n] = line; sub(/ .*/, "", name[n]); cmd[n] = line; sub(/^[^ ]+ +/, "", cmd[n]) } }
{ $0 = pending $0; pending = "" }
/^### CMD\[[0-9]+\]: /{ i = $0; sub(/^### CMD\[/, "", i); sub(/\].*/, "", i); i += 0; body = o "/" name[i] ".body"; printf "" > body; next }
/### RC\[[0-9]+\]=/ { if (i) { rc = $0; sub(/^.*### RC\[[0-9]+\]=/, "", rc); sub(/ .*/, "", rc)
    head = $0; sub(/### RC\[.*/, "", head); if (head != "") print head > body
    close(body); f = o "/" name[i] ".txt"
    printf "# scenario: %s\n# command: %s\n# rc: %s\n# serial-sha256: %s\n", name[i], cmd[i], rc, sha > f; close(f)
    system("cat \"" body "\" >> \"" f "\" && rm \"" body "\""); i = 0 } next }
i && match($0, /\((XEN|d[0-9]+)\) |\[ *[0-9]+\.[0-9]+\] /) { if (RSTART > 1) pending = substr($0, 1, RSTART - 1); next }
i { print > body }
