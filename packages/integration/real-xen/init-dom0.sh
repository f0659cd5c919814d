#!/bin/busybox sh
# /init of the dom0 initramfs: bring up the Xen toolstack, run /cmds (one shell command a line),
# print every command and its output between markers on hvc0 (-> Xen console -> com1 -> QEMU stdio).
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/bin:/sbin
export LD_LIBRARY_PATH=/usr/lib/xen-4.17/lib/x86_64-linux-gnu
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts
# what udev adds to devtmpfs: the hotplug scripts' locking stats /dev/stdin
ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
mkdir -p /run/xen /run/xenstored /var/lib/xen /var/log/xen/console /var/lib/xenstored /var/lib/xen/save
M() { echo "### $*"; }
# Slices of xenstored's -T trace: `tmark NAME` before a command, `tend NAME` after it (which keeps the
# lines written in between: every connection's requests and replies during that command, without
# xenstored's write-rate-limit lines `wrl:`), `tshow NAME` prints them after a line with the offsets.
T=/var/log/xen/xenstored-trace.log
printf '#!/bin/sh\nstat -c %%s %s > /run/trace-$1.start\n' $T > /bin/tmark
printf '#!/bin/sh\ns=$(cat /run/trace-$1.start); e=$(stat -c %%s %s); echo "$s $e" > /run/trace-$1.end\ntail -c +$((s+1)) %s | head -c $((e-s)) | sed "/^wrl: /d" > /run/trace-$1.txt\n' $T $T > /bin/tend
printf '#!/bin/sh\necho "# trace bytes $(cat /run/trace-$1.end)"; cat /run/trace-$1.txt\n' > /bin/tshow
chmod +x /bin/tmark /bin/tend /bin/tshow
M "dom0 kernel $(uname -r) uptime $(cut -d' ' -f1 /proc/uptime)s"
for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc loop xen-blkback xen-netback tun llc stp bridge; do insmod /lib/modules/$m.ko || M "insmod $m failed"; done
# the host's bridge for guests' vifs (xl.cfg's default `bridge=xenbr0`)
brctl addbr xenbr0 && ip link set xenbr0 up || M "xenbr0 failed"
mount -t xenfs xenfs /proc/xen || M "mount xenfs failed"
M "proc/xen: $(ls /proc/xen | tr '\n' ' ') dev/xen: $(ls /dev/xen | tr '\n' ' ')"
${XENSTORED:-xenstored} --pid-file /run/xenstored.pid -T /var/log/xen/xenstored-trace.log > /var/log/xen/xenstored.out 2>&1
i=0; while [ ! -S /run/xenstored/socket ] && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done
M "xenstored socket after ${i}s: $(ls -la /run/xenstored/ 2>&1 | tr '\n' ' ')"
xen-init-dom0 2>&1 | sed 's/^/### xen-init-dom0: /'
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest 2>&1
M "toolstack up at uptime $(cut -d' ' -f1 /proc/uptime)s"
n=0
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue;; esac
  n=$((n+1)); echo "### CMD[$n]: $line"
  timeout ${CMD_TIMEOUT:-900} sh -c "$line" 2>&1; rc=$?
  echo "### RC[$n]=$rc uptime=$(cut -d' ' -f1 /proc/uptime)s"
done < /cmds
M "ALL-DONE uptime $(cut -d' ' -f1 /proc/uptime)s"
sync; poweroff -f
